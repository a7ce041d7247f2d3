// The `tokenlab-audio/emulator` subpath: a local server that speaks the TokenLab audio API, for tests and
// offline development. Kept out of the main entry so applications do not ship it.
export { startEmulator } from './start-emulator.js';
export type { EmulatorOptions, EmulatorHandle, EmulatorFault, EmulatorRequestRecord, EmulatorVoiceEngine } from './emulator-options.js';
export type { EmulatorRealtimeOptions } from './emulator-options.js';
export type { RealtimeResponder, RealtimeReply, RealtimeTurn } from './realtime/realtime-responder.js';
export type { RealtimeFault } from './realtime/realtime-fault.js';
