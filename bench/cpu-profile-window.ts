// A CPU profile of a window of a bench process (not its startup): start it, then stop and save it to a file.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

/** Starts the V8 CPU profiler in this process; returns its stop-and-save (a .cpuprofile for DevTools). */
export async function startWindowProfile(): Promise<(file: string) => Promise<void>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async (file) => {
    const { profile } = (await session.post('Profiler.stop')) as { profile: unknown };
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}
