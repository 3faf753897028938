import { Option } from 'clipanion';
import { Category, NephoCommand } from '../base.js';

/** `registry:keygen --out DIR`: a key pair to sign a registry with. */
export class RegistryKeygenCommand extends NephoCommand {
  static override paths = [['registry:keygen'], ['registry', 'keygen']];
  static override usage = NephoCommand.Usage({
    category: Category.registry,
    description: 'Make an Ed25519 key pair to sign a registry with',
    details: `
      Writes DIR/registry.key (the private key, mode 0600: keep it out of git and off the web server) and DIR/registry.pub (the public key, one line: publish it, users pin it with \`registry:add --key\`). An existing key is never overwritten.
    `,
    examples: [
      ['Make a key pair, sign a build with it', '$0 registry:keygen --out keys  # then: $0 registry:build ./wiki --out public --sign keys/registry.key'],
    ],
  });

  out = Option.String('--out', { required: true, description: 'Directory to write registry.key and registry.pub into' });

  async execute(): Promise<number> {
    const registries = await import('../../registry/index.js');
    const out = this.output();
    const made = registries.generateKeyPair(this.out);
    out.line(`wrote ${made.privateFile} (private: keep it secret) and ${made.publicFile}`);
    out.line(`public key: ${made.publicKey}`);
    return 0;
  }
}
