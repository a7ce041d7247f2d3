/**
 * What {@link toDiscord} produces, named by the value of `@discordjs/voice`'s `StreamType` that
 * `createAudioResource(stream, { inputType })` needs for it (plain strings, so this package never has to
 * load `@discordjs/voice`):
 * - `'opus'` (`StreamType.Opus`): one Opus packet (Buffer) per 20 ms read, object mode. Nothing is left
 *   for the player to do, and played/cleared milliseconds are exact. The default.
 * - `'raw'` (`StreamType.Raw`): 48 kHz stereo s16le PCM, 3840 bytes per 20 ms frame; the player encodes
 *   it with its own prism-media Opus encoder (which buffers about two frames more).
 * - `'ogg/opus'` (`StreamType.OggOpus`): an Ogg/Opus byte stream, one page per 20 ms packet (also a
 *   valid `.opus` file when written to disk).
 */
export type DiscordStreamType = 'opus' | 'raw' | 'ogg/opus';

/** Every {@link DiscordStreamType}. */
export const DISCORD_STREAM_TYPES: readonly DiscordStreamType[] = Object.freeze(['opus', 'raw', 'ogg/opus']);

/**
 * The Opus packet Discord treats as silence (`0xF8 0xFF 0xFE`): what its clients send after speech and
 * what `@discordjs/voice` plays when a resource has nothing. Do not mutate.
 */
export const DISCORD_SILENCE_PACKET: Buffer = Buffer.from([0xf8, 0xff, 0xfe]);

/** True for Discord's 3-byte silence packet. */
export function isDiscordSilencePacket(packet: Uint8Array): boolean {
  return packet.length === 3 && packet[0] === 0xf8 && packet[1] === 0xff && packet[2] === 0xfe;
}
