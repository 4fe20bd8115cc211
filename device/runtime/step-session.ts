/**
 * The streaming step: one run of the step graph per sample with the liquid state carried
 * between calls. Every feed buffer is made once (the engine copies feeds into its own tensors),
 * so a step allocates nothing on this side; τ is a feed that can be changed between steps, and
 * the engine session can be swapped (after a reselection) without losing the state.
 */

import type { EngineSession, EngineTensor } from '../../shared/engines/engine.js';
import { ShapeError } from '../../shared/errors.js';

export interface StepShape {
  readonly inputs: number;
  readonly outputs: number;
  readonly stateWidth: number;
}

export class StepSession {
  readonly shape: StepShape;
  /** The last step's outputs, [outputs]; overwritten by every step. */
  readonly out: Float64Array;
  /** The liquid state fed to the next step, [stateWidth]. */
  readonly state: Float32Array;
  /** τ fed to the graph, [stateWidth]. */
  readonly tau: Float32Array;
  private session: EngineSession;
  private readonly x: Float32Array;
  private readonly dt = new Float32Array(1);
  private readonly feeds: Record<string, EngineTensor>;

  constructor(session: EngineSession, shape: StepShape, tau?: ArrayLike<number>) {
    this.session = session;
    this.shape = shape;
    const H = shape.stateWidth;
    this.out = new Float64Array(shape.outputs);
    this.state = new Float32Array(H);
    this.x = new Float32Array(shape.inputs);
    this.tau = new Float32Array(H);
    const defaultTau = session.defaults['tau']?.data;
    if (tau) this.tau.set(tau);
    else if (defaultTau && defaultTau.length === H) this.tau.set(defaultTau);
    this.feeds = {
      input: { data: this.x, dims: [1, shape.inputs] },
      dt: { data: this.dt, dims: [1, 1] },
    };
    if (H > 0) {
      this.feeds['state'] = { data: this.state, dims: [1, H] };
      if (session.inputNames.includes('tau')) this.feeds['tau'] = { data: this.tau, dims: [H] };
    }
  }

  get engine(): EngineSession['engine'] {
    return this.session.engine;
  }

  /** One step: x [inputs] raw units, Δt in the model's time unit; returns `out`. */
  async step(x: Float64Array, dt: number): Promise<Float64Array> {
    const c = this.session.compiled;
    if (c) {
      // the compiled engine: its own buffers, filled and read in place
      c.inputs['input']!.set(x);
      c.inputs['dt']![0] = dt;
      if (this.shape.stateWidth > 0) {
        c.inputs['state']!.set(this.state);
        c.inputs['tau']?.set(this.tau);
      }
      c.step();
      const y = c.outputs['output']!;
      for (let i = 0; i < this.out.length; i++) this.out[i] = y[i]!;
      if (this.shape.stateWidth > 0) this.state.set(c.outputs['state_out']!);
      return this.out;
    }
    this.x.set(x);
    this.dt[0] = dt;
    const r = await this.session.run(this.feeds);
    const y = r['output']!.data;
    for (let i = 0; i < this.out.length; i++) this.out[i] = y[i]!;
    if (this.shape.stateWidth > 0) this.state.set(r['state_out']!.data);
    return this.out;
  }

  setTau(values: ArrayLike<number>): void {
    if (values.length !== this.tau.length) {
      throw new ShapeError(`τ has ${values.length} values, the model's state has ${this.tau.length}`);
    }
    this.tau.set(values);
  }

  resetState(): void {
    this.state.fill(0);
  }

  /** Runs on `next` from now on, keeping state and τ; releases the previous session. */
  async swap(next: EngineSession): Promise<void> {
    const previous = this.session;
    this.session = next;
    await previous.release();
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
