import { test } from 'vitest';
import assert from 'node:assert/strict';
import { DataType, Variant, VariantArrayType } from 'node-opcua';
import { variantToNumber } from './variant-number.ts';

test('numeric scalars pass, booleans become 1/0', () => {
  assert.equal(variantToNumber(new Variant({ dataType: DataType.Double, value: 1.5 })), 1.5);
  assert.equal(variantToNumber(new Variant({ dataType: DataType.Float, value: 2.5 })), 2.5);
  assert.equal(variantToNumber(new Variant({ dataType: DataType.Int16, value: -7 })), -7);
  assert.equal(variantToNumber(new Variant({ dataType: DataType.UInt32, value: 4000000000 })), 4000000000);
  assert.equal(variantToNumber(new Variant({ dataType: DataType.Boolean, value: true })), 1);
  assert.equal(variantToNumber(new Variant({ dataType: DataType.Boolean, value: false })), 0);
});

test('64-bit integers arrive as [high, low] words', () => {
  assert.equal(variantToNumber(new Variant({ dataType: DataType.UInt64, arrayType: VariantArrayType.Scalar, value: [1, 2] })), 2 ** 32 + 2);
  assert.equal(variantToNumber(new Variant({ dataType: DataType.Int64, arrayType: VariantArrayType.Scalar, value: [0xffffffff, 0xfffffffe] })), -2);
});

test('everything without a number is kept out', () => {
  assert.equal(variantToNumber(new Variant({ dataType: DataType.String, value: '12' })), undefined);
  assert.equal(variantToNumber(new Variant({ dataType: DataType.DateTime, value: new Date() })), undefined);
  assert.equal(variantToNumber(new Variant({ dataType: DataType.Null })), undefined);
  assert.equal(variantToNumber(new Variant({ dataType: DataType.Double, value: Number.NaN })), undefined);
  assert.equal(variantToNumber(new Variant({ dataType: DataType.Double, arrayType: VariantArrayType.Array, value: [1, 2] })), undefined);
  assert.equal(variantToNumber(null), undefined);
});
