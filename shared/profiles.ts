/** Load firmware profiles by name (from the package's firmware-profiles/) or by path. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ProfileError, SchemaError } from './errors.js';
import { readJsonWithSchema } from './io/json-file.js';
import { packageRoot } from './io/package-root.js';
import { type FirmwareProfile, FirmwareProfileSchema } from './types/profile.js';

export function profilesDir(): string {
  return join(packageRoot(), 'firmware-profiles');
}

export function listProfiles(): string[] {
  return readdirSync(profilesDir())
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

/** A profile by name (`pi4`) or by the path of a JSON file. */
export function loadProfile(nameOrPath: string): FirmwareProfile {
  const isPath = nameOrPath.endsWith('.json') || nameOrPath.includes('/');
  const file = isPath ? nameOrPath : join(profilesDir(), `${nameOrPath}.json`);
  if (!existsSync(file)) {
    throw new ProfileError(
      `unknown firmware profile '${nameOrPath}' (known: ${listProfiles().join(', ')}; or give a path to a .json file)`,
    );
  }
  const profile = readJsonWithSchema(FirmwareProfileSchema, file);
  if (!isPath && profile.name !== nameOrPath) {
    throw new SchemaError(file, 'name', `is '${profile.name}' but the file is named '${nameOrPath}.json'`);
  }
  return profile;
}
