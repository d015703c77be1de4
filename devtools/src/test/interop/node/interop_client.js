// Switchboard interop client on Node's @grpc/grpc-js, run by InteropTest.
//
// Makes, against a running server, one call of each gRPC kind and prints what it saw as one JSON object: a unary call
// (GetAgent), the bidirectional StreamCall carrying a WAV's audio in real time, a server stream (WatchCall of that
// live call, opened while it streams), a client stream (UploadRecording) and a refused call (CreateAgent without a
// name) whose google.rpc BadRequest details it decodes.
//
// Usage: node interop_client.js --protos DIR,DIR,... --target HOST:PORT [--ca CA.pem] --key KEY --agent ID --wav F.wav
'use strict';
const fs = require('node:fs');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const path = require('node:path');
const protobuf = require('protobufjs');

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];

const includeDirs = args.protos.split(',');
const loaded = protoLoader.loadSync(
  ['switchboard/v1/agents.proto', 'switchboard/v1/calls.proto', 'google/rpc/status.proto', 'google/rpc/error_details.proto'],
  { includeDirs, keepCase: false, longs: String, enums: String, defaults: true, oneofs: true });
const api = grpc.loadPackageDefinition(loaded);
const v1 = api.switchboard.v1;
// message types for decoding grpc-status-details-bin, from the same declarations
const details = new protobuf.Root();
details.resolvePath = (origin, target) => {
  const dir = includeDirs.find((d) => fs.existsSync(path.join(d, target)));
  return dir ? path.join(dir, target) : target;
};
details.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto'], { keepCase: true });
const Status = details.lookupType('google.rpc.Status');
const BadRequest = details.lookupType('google.rpc.BadRequest');

const credentials = args.ca ? grpc.credentials.createSsl(fs.readFileSync(args.ca)) : grpc.credentials.createInsecure();
const agents = new v1.AgentService(args.target, credentials);
const calls = new v1.CallService(args.target, credentials);
const auth = () => { const m = new grpc.Metadata(); m.set('authorization', 'Bearer ' + args.key); return m; };
const deadline = (s) => ({ deadline: Date.now() + s * 1000 });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function wavPcm(file) {
  const b = fs.readFileSync(file);
  let at = 12, fmt = null;
  while (at + 8 <= b.length) {
    const id = b.toString('ascii', at, at + 4), size = b.readUInt32LE(at + 4);
    if (id === 'fmt ') fmt = { channels: b.readUInt16LE(at + 10), rate: b.readUInt32LE(at + 12) };
    if (id === 'data') return { ...fmt, pcm: b.subarray(at + 8, at + 8 + size), bytes: b };
    at += 8 + size + (size % 2);
  }
  throw new Error('no data chunk in ' + file);
}

function decodeDetails(err) {
  const raw = err.metadata && err.metadata.get('grpc-status-details-bin')[0];
  const violations = [];
  if (raw) {
    const status = Status.decode(raw);
    for (const d of status.details) {
      if (d.type_url.endsWith('/google.rpc.BadRequest')) {
        for (const v of BadRequest.decode(d.value).field_violations) violations.push({ field: v.field, description: v.description });
      }
    }
  }
  return violations;
}

async function main() {
  const result = {};
  const agent = await new Promise((ok, fail) =>
    agents.getAgent({ id: args.agent }, auth(), deadline(20), (e, r) => (e ? fail(e) : ok(r))));
  result.unary_agent_id = agent.id;

  const wav = wavPcm(args.wav);
  const format = { encoding: 'ENCODING_PCM16', sampleRate: wav.rate, channels: wav.channels, container: 'CONTAINER_RAW' };
  const streamFinals = [];
  const watched = { finals: [], ended: false };
  let watchDone;
  const stream = calls.streamCall(auth(), deadline(120));
  const streamDone = new Promise((ok, fail) => {
    stream.on('data', (r) => {
      if (r.payload === 'accepted') {
        result.call_id = r.accepted.id;
        const watch = calls.watchCall({ id: r.accepted.id }, auth(), deadline(120));
        watchDone = new Promise((wok, wfail) => {
          watch.on('data', (e) => {
            if (e.payload === 'transcript' && e.transcript.isFinal) watched.finals.push(e.transcript.text);
            if (e.payload === 'ended') watched.ended = true;
          });
          watch.on('end', wok);
          watch.on('error', wfail);
        });
        send().catch(fail);
      } else if (r.payload === 'transcript' && r.transcript.isFinal) {
        streamFinals.push(r.transcript.text);
      } else if (r.payload === 'ended') {
        result.ended_reason = r.ended.endReason;
      }
    });
    stream.on('end', ok);
    stream.on('error', fail);
  });
  async function send() {
    await sleep(500); // the watch's stream is open on the server before the first word
    const frame = (wav.rate / 50) * 2 * wav.channels; // 20 ms
    const start = Date.now();
    for (let i = 0, n = 0; i < wav.pcm.length; i += frame, n++) {
      stream.write({ audio: wav.pcm.subarray(i, i + frame) });
      const wait = start + (n + 1) * 20 - Date.now();
      if (wait > 0) await sleep(wait);
    }
    stream.write({ end: { reason: 'hangup' } });
    stream.end();
  }
  stream.write({ open: { agentId: args.agent, direction: 'DIRECTION_INBOUND', fromNumber: '+14155550123', format } });
  await streamDone;
  await watchDone;
  result.stream_finals = streamFinals;
  result.watch_finals = watched.finals;
  result.watch_ended = watched.ended;

  const uploaded = await new Promise((ok, fail) => {
    const up = calls.uploadRecording(auth(), deadline(60), (e, r) => (e ? fail(e) : ok(r)));
    up.write({ open: { agentId: args.agent, direction: 'DIRECTION_OUTBOUND', fromNumber: '+14155550100',
      toNumber: '+14155550123', format: { ...format, container: 'CONTAINER_WAV' } } });
    for (let i = 0; i < wav.bytes.length; i += 32 * 1024) up.write({ chunk: wav.bytes.subarray(i, i + 32 * 1024) });
    up.end();
  });
  result.upload_call_id = uploaded.id;

  result.refusal = await new Promise((ok) =>
    agents.createAgent({ agent: {} }, auth(), deadline(20), (e) =>
      ok(e ? { code: grpc.status[e.code], violations: decodeDetails(e) } : null)));

  console.log(JSON.stringify(result));
  agents.close();
  calls.close();
}

main().catch((e) => { console.error(e.stack || String(e)); process.exit(1); });
