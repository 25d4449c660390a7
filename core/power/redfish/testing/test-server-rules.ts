/**
 * The Redfish rules the test server enforces on a ComputerSystem PATCH, and its error bodies
 * (DSP0266 section 9.6; MessageIds from the Base message registry). Pure.
 */

/** A Redfish error body with one @Message.ExtendedInfo entry. */
export function redfishError(messageId: string, message: string) {
  return {
    error: {
      code: `Base.1.5.0.${messageId}`,
      message: 'A general error has occurred. See ExtendedInfo for more information.',
      '@Message.ExtendedInfo': [
        { '@odata.type': '#Message.v1_0_0.Message', MessageId: `Base.1.5.0.${messageId}`, Message: message, Severity: 'Warning' },
      ],
    },
  };
}

/** Writable properties of the system and, for enums, their allowed values (undefined = any string). */
const writableBoot: Record<string, (boot: Record<string, unknown>) => readonly string[] | undefined> = {
  BootSourceOverrideEnabled: () => ['Disabled', 'Once', 'Continuous'],
  BootSourceOverrideTarget: (boot) => boot['BootSourceOverrideTarget@Redfish.AllowableValues'] as string[] | undefined,
  BootSourceOverrideMode: () => ['UEFI', 'Legacy'],
  UefiTargetBootSourceOverride: () => undefined,
};
const writableTop: Record<string, readonly string[] | undefined> = {
  AssetTag: undefined,
  IndicatorLED: ['Lit', 'Blinking', 'Off'],
};

export type PatchVerdict = { ok: true; merged: Record<string, unknown> } | { ok: false; error: ReturnType<typeof redfishError> };

/** Checks a PATCH body against the system and returns the properties to merge into it. */
export function checkPatch(system: Record<string, unknown>, body: unknown): PatchVerdict {
  if (!isObject(body)) return fail('MalformedJSON', 'The request body submitted was malformed JSON and could not be parsed by the receiving service.');
  const merged: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (key === 'Boot') {
      const boot = checkBoot(system.Boot as Record<string, unknown>, value);
      if (!boot.ok) return boot;
      merged.Boot = boot.merged;
    } else if (key in writableTop) {
      const bad = checkValue(key, value, writableTop[key]);
      if (bad) return bad;
      merged[key] = value;
    } else if (key in system) {
      return fail('PropertyNotWritable', `The property ${key} is a read only property and cannot be assigned a value.`);
    } else {
      return fail('PropertyUnknown', `The property ${key} is not in the list of valid properties for the resource.`);
    }
  }
  return { ok: true, merged };
}

function checkBoot(current: Record<string, unknown>, value: unknown): PatchVerdict {
  if (!isObject(value)) return fail('PropertyValueTypeError', `The value for the property Boot is of a different type than the property can accept.`);
  const merged = { ...current };
  for (const [key, v] of Object.entries(value)) {
    const rule = writableBoot[key];
    if (!rule) return fail('PropertyUnknown', `The property Boot/${key} is not in the list of valid properties for the resource.`);
    const bad = checkValue(`Boot/${key}`, v, rule(current));
    if (bad) return bad;
    merged[key] = v;
  }
  return { ok: true, merged };
}

function checkValue(name: string, value: unknown, allowed: readonly string[] | undefined): PatchVerdict | undefined {
  if (typeof value !== 'string') return fail('PropertyValueTypeError', `The value ${JSON.stringify(value)} for the property ${name} is of a different type than the property can accept.`);
  if (allowed && !allowed.includes(value)) return fail('PropertyValueNotInList', `The value ${value} for the property ${name} is not in the list of acceptable values.`);
  return undefined;
}

function fail(messageId: string, message: string): PatchVerdict {
  return { ok: false, error: redfishError(messageId, message) };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
