// Entry of the `tokenlab-audio/discord` subpath: Discord voice plumbing. It never loads @discordjs/voice
// (stream types are plain strings), so importing it costs nothing for bots that bring their own copy.
export { toDiscord, ToDiscordStream, type ToDiscordOptions } from './to-discord.js';
export { fromDiscord, FromDiscordStream, type FromDiscordOptions, type FromDiscordStats, type DiscordSpeechEvent } from './from-discord.js';
export { ChannelMixer, type ChannelMixerOptions, type ChannelMixMode } from './channel-mixer.js';
export { DISCORD_SILENCE_PACKET, DISCORD_STREAM_TYPES, isDiscordSilencePacket, type DiscordStreamType } from './discord-stream-type.js';
export { DISCORD_PCM, REALTIME_PCM, STT_PCM } from '../../core/pcm/pcm-format.js';
