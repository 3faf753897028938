import { Option } from 'clipanion';
import { NephoError } from '../../errors.js';
import { Category, NephoCommand } from '../base.js';

/** `registry:serve DIR [--port P]`. */
export class RegistryServeCommand extends NephoCommand {
  static override paths = [['registry:serve'], ['registry', 'serve']];
  static override usage = NephoCommand.Usage({
    category: Category.registry,
    description: 'Serve a built registry on 127.0.0.1 until interrupted',
    details: 'Serves the files of DIR (made by `registry:build`) on 127.0.0.1 only; `--port 0` picks a free port. Stop it with Ctrl-C.',
    examples: [
      ['Serve a registry and add it', '$0 registry:serve public  # then: $0 registry:add local http://127.0.0.1:8375/index.json'],
      ['On any free port', '$0 registry:serve public --port 0'],
    ],
  });

  port = Option.String('--port', '8375', { description: 'Port on 127.0.0.1 (0: any free port)' });
  dir = Option.String({ name: 'dir' });

  async execute(): Promise<number> {
    const port = Number(this.port);
    if (!/^\d+$/.test(this.port) || port > 65535) throw new NephoError('BAD_ARGUMENT', `--port '${this.port}' is not a port number (0-65535)`);
    const registries = await import('../../registry/index.js');
    const out = this.output();
    const server = await registries.serveRegistry(this.dir, port);
    out.line(`serving ${server.dir} at ${server.url}`);
    out.notice('Press Ctrl-C to stop.');
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.removeListener('SIGINT', stop);
        process.removeListener('SIGTERM', stop);
        void server.close().then(resolve);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    return 0;
  }
}
