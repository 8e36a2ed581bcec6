import { satisfies } from '@tracewire/core';

describe('satisfies', () => {
  it.each([
    ['4.18.2', '>=4 <6', true],
    ['5.0.0', '>=4 <6', true],
    ['6.0.0', '>=4 <6', false],
    ['3.9.9', '>=4 <6', false],
    ['8.11.3', '^8', true],
    ['9.0.0', '^8', false],
    ['0.2.5', '^0.2.1', true],
    ['0.3.0', '^0.2.1', false],
    ['8.1.0', '~8.1.0', true],
    ['8.2.0', '~8.1.0', false],
    ['2.15.0', '2.x', true],
    ['3.0.0', '2.x || 3.x', true],
    ['1.0.0', '2.x || 3.x', false],
    ['5.0.0-beta.1', '>=5', false],
    ['5.0.0-beta.1', '>=4', true],
    ['7.0.0', '*', true],
    ['7.0.0', '>6.5', true],
    ['6.5.9', '>6.5', false],
    ['6.5.9', '<=6.5', true],
    ['not-a-version', '*', false],
    ['1.2', '*', false],
    ['1.2.3', 'garbage range', false],
  ])('%s in %s → %s', (version, range, expected) => {
    expect(satisfies(version, range)).toBe(expected);
  });
});
