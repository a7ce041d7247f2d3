// needs: a Discord bot token (DISCORD_TOKEN), a voice channel (DISCORD_GUILD_ID, DISCORD_CHANNEL_ID), discord.js and a TokenLab key
// A Discord voice agent: joins a voice channel, listens to the people in it (one at a time: the active speaker),
// holds a realtime conversation with barge-in, and speaks the answers back. Plus a TTS announcer whose audio is
// cached on disk, so a repeated announcement is never paid for twice. All audio plumbing is tokenlab-audio's
// tested code (toDiscord, fromDiscord via ChannelMixer, realtimeDuplex); this file only wires it to Discord.
//   npm i discord.js && DISCORD_TOKEN=… DISCORD_GUILD_ID=… DISCORD_CHANNEL_ID=… TOKENLAB_API_KEY=… npx tsx examples/discord-voice-agent.ts
import { AudioPlayerStatus, EndBehaviorType, NoSubscriberBehavior, StreamType, VoiceConnectionStatus, createAudioPlayer, createAudioResource, entersState, joinVoiceChannel } from '@discordjs/voice';
import { REALTIME_PCM, TokenLab, realtimeDuplex, ttsSource } from 'tokenlab-audio';
import { ChannelMixer, toDiscord } from 'tokenlab-audio/discord';

const { DISCORD_TOKEN, DISCORD_GUILD_ID, DISCORD_CHANNEL_ID } = process.env;
if (!DISCORD_TOKEN || !DISCORD_GUILD_ID || !DISCORD_CHANNEL_ID) throw new Error('Set DISCORD_TOKEN, DISCORD_GUILD_ID and DISCORD_CHANNEL_ID.');

// discord.js is the bot's own dependency, not this package's: loaded by name so this file type-checks without it.
const discordJs = 'discord.js';
const { Client, GatewayIntentBits } = (await import(discordJs)) as any;
const bot = new Client({ intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildVoiceStates] });
await bot.login(DISCORD_TOKEN);
const guild = await bot.guilds.fetch(DISCORD_GUILD_ID);

const client = new TokenLab({ speechCacheDir: '.speech-cache' }); // TOKENLAB_API_KEY from the environment
// Ask the catalog for models; confirm realtime support before opening a session.
let realtimeModel: string | undefined;
for (const m of (await client.models.list()).data) if (!realtimeModel && (await client.models.supportsRealtime(m.id))) realtimeModel = m.id;
const ttsModel = (await client.models.list({ recommendedFor: 'tts' })).data[0]?.id;
if (!realtimeModel || !ttsModel) throw new Error('No realtime or TTS model in the catalog.');

const connection = joinVoiceChannel({ guildId: DISCORD_GUILD_ID, channelId: DISCORD_CHANNEL_ID, adapterCreator: guild.voiceAdapterCreator, selfDeaf: false });
await entersState(connection, VoiceConnectionStatus.Ready, 20_000);
const player = createAudioPlayer({ behaviors: { noSubscriber: NoSubscriberBehavior.Play } });
connection.subscribe(player);

// Announce: a TTS line played to the end before the conversation starts. The speech cache serves a repeated line
// from disk (never paid for twice); toDiscord paces it so it is not cut off when the response arrives in bursts.
async function announce(text: string): Promise<void> {
  const out = toDiscord(ttsSource(client, { model: ttsModel!, voice: 'alloy', input: text }));
  player.play(createAudioResource(out, { inputType: out.streamType as StreamType }));
  await entersState(player, AudioPlayerStatus.Playing, 30_000);
  await entersState(player, AudioPlayerStatus.Idle, 120_000);
}
await announce('Hello! I am listening. Talk to me.');


// Listen: everyone who speaks joins the mix; the active speaker (one at a time) feeds the realtime session.
const listeners = new ChannelMixer({ format: REALTIME_PCM, mode: 'active-speaker' });
connection.receiver.speaking.on('start', (userId: string) => {
  if (listeners.users.includes(userId) || userId === bot.user.id) return;
  listeners.add(userId, connection.receiver.subscribe(userId, { end: { behavior: EndBehaviorType.Manual } }));
});
listeners.on('speaker', (userId) => console.log(userId ? `listening to ${userId}` : 'nobody speaking'));
bot.on('voiceStateUpdate', (before: { id: string; channelId: string | null }, after: { channelId: string | null }) => {
  if (before.channelId === DISCORD_CHANNEL_ID && after.channelId !== DISCORD_CHANNEL_ID) listeners.remove(before.id); // a user left
});

// Talk: the realtime session's answers, paced for the player (silence while the model is slow, never idle).
const agent = realtimeDuplex(client, { model: realtimeModel, instructions: 'You are a friendly voice in a Discord call. Be brief.' });
listeners.pipe(agent);
const voice = toDiscord(agent, { destroySource: false }); // the session outlives a stopped player
player.play(createAudioResource(voice, { inputType: voice.streamType as StreamType }));
agent.on('interrupted', (info) => {
  // Barge-in: drop what Discord has not played yet; the duplex already told the server what was heard.
  const droppedMs = voice.clear();
  console.log(`barge-in: ${info.action} at ${info.playedMs} ms heard, ${droppedMs} ms dropped locally`);
});
agent.on('transcript', (t) => t.final && console.log(`${t.role}: ${t.text}`));
agent.on('error', (err) => console.error('realtime:', err.message));

process.once('SIGINT', () => {
  listeners.end();
  agent.destroy();
  player.stop(true);
  connection.destroy();
  bot.destroy();
});
