/**
 * Every activation form by name. A new form is one file in this folder plus one line in
 * FORMS (and its params type in FormParamsMap).
 */
import type { FormModule, FormName } from '../types.js';
import { type ChebyshevParams, chebyshevForm } from './chebyshev.js';
import { type ClassicParams, classicForm } from './classic.js';
import { type RationalParams, rationalForm } from './rational.js';
import { type SymbolicParams, symbolicForm } from './symbolic.js';

export interface FormParamsMap {
  classic: ClassicParams;
  symbolic: SymbolicParams;
  chebyshev: ChebyshevParams;
  rational: RationalParams;
}

/** Params of any form. */
export type FormParams = FormParamsMap[FormName];

export const FORMS: { readonly [K in FormName]: FormModule<FormParamsMap[K]> } = Object.freeze({
  classic: classicForm,
  symbolic: symbolicForm,
  chebyshev: chebyshevForm,
  rational: rationalForm,
});

/** The module for a form name, typed loosely for code that handles any entry. */
export function formModule(name: FormName): FormModule<FormParams> {
  return FORMS[name] as FormModule<FormParams>;
}
