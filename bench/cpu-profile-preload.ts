// Records a V8 CPU profile of the process it is preloaded into
// (NODE_OPTIONS="--import tsx --import /abs/bench/cpu-profile-preload.ts", with
// BROOK_CPU_PROFILE_DIR set) and writes <dir>/<pid>.cpuprofile when the process
// exits normally. Node 20 refuses --cpu-prof in NODE_OPTIONS; this does the same.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.BROOK_CPU_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  session.post('Profiler.start');
  // A session in the same thread answers synchronously, so this works in 'exit'.
  process.once('exit', () => {
    session.post('Profiler.stop', (error, result) => {
      if (!error) writeFileSync(join(dir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
