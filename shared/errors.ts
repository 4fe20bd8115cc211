/**
 * Typed errors with stable codes. The library throws these; the edges (CLI, MQTT handlers)
 * turn them into exit codes or job outcomes. Messages name the file, the field and what was
 * allowed, so a person can fix the input without reading the source.
 */

export type ErrorCode =
  | 'E_INPUT'
  | 'E_SHAPE'
  | 'E_SCHEMA'
  | 'E_LIBRARY_ENTRY'
  | 'E_MODEL'
  | 'E_PROFILE'
  | 'E_MANIFEST'
  | 'E_SIGNATURE'
  | 'E_ONNX'
  | 'E_NUMERIC';

export class LiquidkanError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Bad user input: a flag, a CSV cell, a value out of range. */
export class InputError extends LiquidkanError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_INPUT', message, options);
  }
}

/** Array shapes that do not fit together. */
export class ShapeError extends LiquidkanError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_SHAPE', message, options);
  }
}

/** A file that does not match its schema (library.json, model.json, profiles, manifests). */
export class SchemaError extends LiquidkanError {
  readonly file: string;
  readonly field: string;
  constructor(file: string, field: string, message: string, options?: { cause?: unknown }) {
    super('E_SCHEMA', `${file}: ${field ? `field '${field}': ` : ''}${message}`, options);
    this.file = file;
    this.field = field;
  }
}

/** An activation library entry that cannot be built or evaluated as declared. */
export class LibraryEntryError extends LiquidkanError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_LIBRARY_ENTRY', message, options);
  }
}

export class ModelError extends LiquidkanError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_MODEL', message, options);
  }
}

export class ProfileError extends LiquidkanError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_PROFILE', message, options);
  }
}

export class ManifestError extends LiquidkanError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_MANIFEST', message, options);
  }
}

/** A release whose signature, signing key or signed content does not check out; nothing is installed. */
export class SignatureError extends LiquidkanError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_SIGNATURE', message, options);
  }
}

export class OnnxError extends LiquidkanError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_ONNX', message, options);
  }
}

export class NumericError extends LiquidkanError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_NUMERIC', message, options);
  }
}
