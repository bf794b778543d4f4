/**
 * Daemon latency benchmark (`npm run bench:daemon`): a real daemon process (dist/), a real
 * WebSocket client.
 *   1. ping round trips with the daemon idle;
 *   2. ping round trips while a run keeps the worker thread busy (GenEval on truth images, the
 *      one stage that runs end to end in this version), with the client subscribed to its events;
 *   3. the event rate a client can take: the run's history replayed from disk, repeatedly.
 * Prints a table and one JSON line. Not a test: numbers depend on the machine and its load.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunEvent } from '../schemas/protocol';
import { connect, EventLog, startDaemon, stopDaemon } from '../test/integration/daemon-harness';
import { scratchDir } from '../test/scratch';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function stats(samples: number[]): { n: number; p50: number; p99: number; max: number } {
  const s = [...samples].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99), max: s[s.length - 1] ?? NaN };
}

async function main(): Promise<void> {
  const canvas = Number(process.env['BENCH_CANVAS'] ?? 64);
  const replays = Number(process.env['BENCH_REPLAYS'] ?? 20);
  const workspace = scratchDir('bench-ws');
  const daemon = await startDaemon(scratchDir('bench-home'), workspace);
  const client = await connect(daemon);
  const ping = async (): Promise<number> => {
    const t0 = performance.now();
    await client.request('daemon/ping');
    return performance.now() - t0;
  };
  try {
    for (let i = 0; i < 50; i++) await ping(); // warm-up
    const idle: number[] = [];
    for (let i = 0; i < 1000; i++) idle.push(await ping());

    const spec = { name: 'bench', world: { canvas }, stages: [{ kind: 'geneval', generator: 'truth', checkpointEvery: 25, samplesEvery: 5 }] };
    const run = await client.request('runs/submit', { spec });
    const log = new EventLog(client, run.id);
    await client.request('runs/subscribe', { runId: run.id });
    await log.waitFor((es) => es.some((e) => e.type === 'progress'), 'the first step');
    const busy: number[] = [];
    const t0 = performance.now();
    let running = true;
    void log.waitForState('completed').then(() => (running = false));
    while (running) busy.push(await ping());
    const runSeconds = (performance.now() - t0) / 1000;
    const liveEvents = log.events.length;

    // Replay: subscribe from seq 0 and time until the last event arrives; repeat.
    const total = log.events[log.events.length - 1]!.seq;
    let bytes = 0;
    for (const e of log.events) bytes += Buffer.byteLength(JSON.stringify({ jsonrpc: '2.0', method: 'runs/event', params: { runId: run.id, event: e } }));
    const replaySeconds: number[] = [];
    for (let r = 0; r < replays; r++) {
      const received: RunEvent[] = [];
      const off = client.on('runs/event', ({ event }) => received.push(event));
      const start = performance.now();
      await client.request('runs/subscribe', { runId: run.id });
      while (received.length < total) await new Promise((resolve) => setImmediate(resolve));
      replaySeconds.push((performance.now() - start) / 1000);
      off();
      await client.request('runs/unsubscribe', { runId: run.id });
    }
    const replay = stats(replaySeconds);
    const result = {
      machine: `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
      loadavg: os.loadavg().map((x) => Number(x.toFixed(2))),
      idle: stats(idle),
      busy: stats(busy),
      run: { canvas, prompts: 553, images: 553 * 4, seconds: runSeconds, events: liveEvents, eventsPerSecond: liveEvents / runSeconds },
      replay: { events: total, bytes, medianSeconds: replay.p50, eventsPerSecond: total / replay.p50, megabytesPerSecond: bytes / 1e6 / replay.p50 },
    };
    const f = (x: number): string => x.toFixed(3);
    process.stdout.write(
      [
        `machine: ${result.machine}; load ${result.loadavg.join(' ')}`,
        `ping idle:           p50 ${f(result.idle.p50)} ms  p99 ${f(result.idle.p99)} ms  max ${f(result.idle.max)} ms  (${result.idle.n} pings)`,
        `ping during the run: p50 ${f(result.busy.p50)} ms  p99 ${f(result.busy.p99)} ms  max ${f(result.busy.max)} ms  (${result.busy.n} pings)`,
        `run: GenEval truth, ${canvas} px, 2212 images in ${result.run.seconds.toFixed(1)} s; ${result.run.events} events streamed live (${result.run.eventsPerSecond.toFixed(0)}/s)`,
        `replay from disk: ${total} events, ${(bytes / 1e6).toFixed(2)} MB in ${f(replay.p50 * 1000)} ms (median of ${replays}): ${result.replay.eventsPerSecond.toFixed(0)} events/s, ${result.replay.megabytesPerSecond.toFixed(1)} MB/s`,
        JSON.stringify(result),
      ].join('\n') + '\n',
    );
  } finally {
    await client.close();
    await stopDaemon(daemon);
    fs.rmSync(path.join(workspace, 'runs'), { recursive: true, force: true });
  }
}

void main();
