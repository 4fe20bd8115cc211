/**
 * The device's voice clips: the shared streaming clip assembler with the keyword models' clip
 * features (shared/audio/clip.ts VOICE_CLIP, the ones training used).
 */

export { VOICE_CLIP as DEVICE_VOICE_CLIP } from '../../shared/audio/clip.js';
export { type Clip, ClipAssembler, type ClipStreamOptions } from '../../shared/audio/clip-stream.js';
