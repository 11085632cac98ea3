import { test } from 'vitest';
import assert from 'node:assert/strict';
import { DataType } from 'node-opcua';
import { toCallInputArguments, toCommandVariant } from './command-value.ts';

test('write values must match the node data type exactly', () => {
  assert.deepEqual(toCommandVariant('Double', 3.5), { ok: true, variant: { dataType: DataType.Double, value: 3.5 } });
  assert.deepEqual(toCommandVariant('Boolean', true), { ok: true, variant: { dataType: DataType.Boolean, value: true } });
  assert.deepEqual(toCommandVariant('String', 'auto'), { ok: true, variant: { dataType: DataType.String, value: 'auto' } });
  assert.deepEqual(toCommandVariant('UInt16', 65535), { ok: true, variant: { dataType: DataType.UInt16, value: 65535 } });

  const refusals: [Parameters<typeof toCommandVariant>[0], unknown, RegExp][] = [
    ['Boolean', 1, /Boolean needs a boolean, got number/],
    ['Boolean', 'true', /got string/],
    ['Double', '3.5', /Double needs a finite number, got string/],
    ['Double', Number.NaN, /finite number/],
    ['Double', undefined, /got undefined/],
    ['Int32', 1.5, /Int32 needs an integer/],
    ['Int32', 2 ** 31, /Int32 must be within/],
    ['UInt16', -1, /UInt16 must be within 0…65535/],
    ['Float', 1e39, /Float out of range/],
    ['String', 5, /String needs a string, got number/],
    ['String', null, /got null/],
  ];
  for (const [dataType, value, error] of refusals) {
    const result = toCommandVariant(dataType, value);
    assert.equal(result.ok, false, `${dataType} ${String(value)}`);
    if (!result.ok) assert.match(result.error, error);
  }
});

test('method input arguments are an array of {dataType, value}', () => {
  assert.deepEqual(toCallInputArguments(undefined), { ok: true, variants: [] });
  assert.deepEqual(toCallInputArguments([{ dataType: 'Int32', value: 4 }, { dataType: 'Boolean', value: false }]), {
    ok: true,
    variants: [
      { dataType: DataType.Int32, value: 4 },
      { dataType: DataType.Boolean, value: false },
    ],
  });
  const bad: [unknown, RegExp][] = [
    [{ dataType: 'Int32', value: 4 }, /must be an array/],
    [[5], /inputArguments\[0\] must be \{dataType, value\}/],
    [[{ dataType: 'Int64', value: 4 }], /dataType must be one of/],
    [[{ dataType: 'Int32', value: 4 }, { dataType: 'Byte', value: 256 }], /inputArguments\[1\]: Byte must be within 0…255/],
  ];
  for (const [input, error] of bad) {
    const result = toCallInputArguments(input);
    assert.equal(result.ok, false);
    if (!result.ok) assert.match(result.error, error);
  }
});
