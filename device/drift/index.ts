export { ADWIN_DEFAULTS, Adwin, type AdwinOptions } from './adwin.js';
export { DRIFT_MONITOR_DEFAULTS, DriftMonitor, type DriftMonitorOptions } from './monitor.js';
export { PAGE_HINKLEY_DEFAULTS, PageHinkley, type PageHinkleyOptions } from './page-hinkley.js';
export { PSI_DEFAULTS, PsiDetector, type PsiOptions, psiFromCounts } from './psi.js';
export { RESIDUAL_DEFAULTS, ResidualDetector, type ResidualOptions } from './residual.js';
export type { DriftDetector, DriftEvent } from './types.js';
