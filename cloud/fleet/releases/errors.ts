/**
 * Why a release-service call was refused, as data the HTTP layer maps to a status code
 * (not-found 404, conflict 409, invalid 400). An InputError, so the CLI prints it plainly.
 */
import { InputError } from '../../../shared/errors.js';

export type ReleaseRefusal = 'not-found' | 'conflict' | 'invalid';

export class ReleaseServiceError extends InputError {
  readonly refusal: ReleaseRefusal;
  constructor(refusal: ReleaseRefusal, message: string) {
    super(message);
    this.refusal = refusal;
  }
}
