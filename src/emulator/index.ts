// The `tokenlab-audio/emulator` subpath: a local server that speaks the TokenLab audio API, for tests and
// offline development. Kept out of the main entry so applications do not ship it.
export { startEmulator } from './start-emulator.js';
export type { EmulatorOptions, EmulatorHandle, EmulatorFault, EmulatorRequestRecord, EmulatorVoiceEngine } from './emulator-options.js';
