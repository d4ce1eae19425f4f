import { expect } from 'chai';
import { InvalidOptionError } from '../../src/core/invalid-option-error.js';
import { keyOfValue, parseKeyPath, valueAtKeyPath } from '../../src/jobmanager/key-path.js';

const FIELD = 'JobDefinition.dataflow.vertices[1].inputs[0].keyPath';

describe('key paths into records', () => {
  it('reads fields, array indexes and quoted names, from the record down', () => {
    expect(parseKeyPath('$', FIELD).steps).to.deep.equal([]);
    expect(parseKeyPath('$.order.customer', FIELD).steps).to.deep.equal(['order', 'customer']);
    expect(parseKeyPath('$[0]', FIELD).steps).to.deep.equal([0]);
    expect(parseKeyPath('$.lines[12]["unit price"]', FIELD).steps).to.deep.equal(['lines', 12, 'unit price']);
    expect(parseKeyPath('$["a\\"b"]', FIELD).steps).to.deep.equal(['a"b']);
  });

  it('refuses what is not a key path, naming the field and the position', () => {
    for (const [text, problem] of [
      ['customer', 'must be a key path starting with $ (the record), like $.customer or $[0], got "customer"'],
      ['$.', 'must be a key path like $.customer or $[0]; \'.\' at position 1 of "$." is not .name, [index] or ["name"]'],
      ['$[01]', 'must be a key path like $.customer or $[0]; \'[01]\' at position 1 of "$[01]" is not .name, [index] or ["name"]'],
      ['$[-1]', 'must be a key path like $.customer or $[0]; \'[-1]\' at position 1 of "$[-1]" is not .name, [index] or ["name"]'],
      ["$['x']", 'must be a key path like $.customer or $[0]; \'[\'x\']\' at position 1 of "$[\'x\']" is not .name, [index] or ["name"]'],
    ] as const) {
      let refused: unknown = null;
      try {
        parseKeyPath(text, FIELD);
      } catch (error) {
        refused = error;
      }
      expect(refused, text).to.be.instanceOf(InvalidOptionError);
      expect((refused as InvalidOptionError).message, text).to.equal(`${FIELD} ${problem}`);
    }
    expect(() => parseKeyPath(7, FIELD)).to.throw(InvalidOptionError, `${FIELD} must be a key path starting with $`);
  });

  it('finds the value at a path, and nothing where the record has none', () => {
    const record = { order: { customer: 'ada', lines: [{ sku: 'x' }] }, tags: ['a', 'b'], zero: 0, none: null };
    expect(valueAtKeyPath(record, parseKeyPath('$.order.customer', FIELD))).to.equal('ada');
    expect(valueAtKeyPath(record, parseKeyPath('$.order.lines[0].sku', FIELD))).to.equal('x');
    expect(valueAtKeyPath(record, parseKeyPath('$.zero', FIELD))).to.equal(0);
    expect(valueAtKeyPath(record, parseKeyPath('$.none', FIELD))).to.equal(null);
    expect(valueAtKeyPath(record, parseKeyPath('$', FIELD))).to.equal(record);
    for (const missing of ['$.customer', '$.tags[2]', '$.tags.length', '$.order[0]', '$.zero.x', '$.none.x', '$.toString', '$.order.constructor']) {
      expect(valueAtKeyPath(record, parseKeyPath(missing, FIELD)), missing).to.equal(undefined);
    }
  });

  it('keys a string by itself and anything else by its JSON text', () => {
    expect(keyOfValue('ada')).to.equal('ada');
    expect(keyOfValue(42)).to.equal('42');
    expect(keyOfValue(null)).to.equal('null');
    expect(keyOfValue({ a: [1, true] })).to.equal('{"a":[1,true]}');
  });
});
