export {
  CLIP_DEFAULTS,
  type ClipConfig,
  clipFeatures,
  clipFromFrames,
  clipShape,
  VOICE_CLIP,
} from './clip.js';
export { type Clip, ClipAssembler, type ClipStreamOptions } from './clip-stream.js';
export {
  computeFeatures,
  FEATURE_DEFAULTS,
  type FeatureConfig,
  type FeatureKind,
  type Features,
  FrameFeaturizer,
  subtractMean,
} from './features.js';
export { RealFft } from './fft.js';
export { frameCount, frameSizes, hannWindow, preEmphasize } from './frames.js';
export { applyMel, hzToMel, type MelFilterbank, type MelOptions, melFilterbank, melToHz } from './mel.js';
export { applyDct, dctMatrix } from './mfcc.js';
export { type ResampleOptions, resample } from './resample.js';
export { StreamingFeatureExtractor } from './streaming.js';
