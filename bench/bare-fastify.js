#!/usr/bin/env node
// The baseline bench/server.js measures nepho's server against: a bare
// fastify 5 (the same package the server uses) on 127.0.0.1, in a process of
// its own, with no database, no token, no schema and no logger. It answers
// GET /formations with the JSON body it is given (the same 1,000 formations
// the server lists, serialized on every request as the server does), POST
// /operations with a 202 and a small JSON object, and fans a line out to
// every open GET /events stream when POST /emit is called.
// Usage: node bench/bare-fastify.js BODY.json; prints its URL on stdout.
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const formations = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
const streams = new Set();

app.get('/formations', async () => formations);
app.post('/operations', async (req, reply) => reply.code(202).send({ id: `op_${Date.now()}`, formation: req.body?.formation ?? null, state: 'queued' }));
app.get('/events', (req, reply) => {
  reply.hijack();
  reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
  reply.raw.write(': bare events\n\n');
  streams.add(reply.raw);
  req.raw.on('close', () => streams.delete(reply.raw));
});
app.post('/emit', async (req) => {
  const frame = `data: ${JSON.stringify(req.body)}\n\n`;
  for (const s of streams) s.write(frame);
  return { sent: streams.size };
});

const url = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(url);
process.on('SIGTERM', () => {
  for (const s of streams) s.end();
  void app.close().then(() => process.exit(0));
});
