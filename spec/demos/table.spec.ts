import { markdownTable } from '../../demos/common/table';

describe('markdownTable', () => {
  it('pads columns and right-aligns numeric columns', () => {
    // Expected text written by hand.
    expect(
      markdownTable(
        ['method', 'acc'],
        [
          ['UPGrad', 0.91],
          ['Mean', 0.9],
        ],
      ),
    ).toBe(
      ['| method |  acc |', '| ------ | ---: |', '| UPGrad | 0.91 |', '| Mean   |  0.9 |'].join(
        '\n',
      ),
    );
  });

  it('honours explicit alignment, including center', () => {
    expect(markdownTable(['a', 'b'], [['x', 'yy']], { align: ['center', 'right'] })).toBe(
      ['|  a  |   b |', '| :-: | --: |', '|  x  |  yy |'].join('\n'),
    );
  });

  it('escapes pipes and newlines and fills short rows', () => {
    const table = markdownTable(['k', 'v'], [['a|b'], ['line\nbreak', 'z']]);
    const lines = table.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toBe('| a\\|b       |     |');
    expect(lines[3]).toContain('line break');
    // Every line splits into the same number of cells once escaped pipes are discounted.
    for (const line of lines) expect(line.split(/(?<!\\)\|/).length).toBe(4);
  });

  it('rejects rows longer than the header and an empty header', () => {
    expect(() => markdownTable(['a'], [['1', '2']])).toThrow(/row 0 has 2 cells/);
    expect(() => markdownTable([], [])).toThrow(/header/);
  });
});
