import { ProgressBar, ProgressStream } from '../../demos/common/progress';

function fakeStream(isTTY: boolean): ProgressStream & { text: string } {
  return {
    isTTY,
    text: '',
    write(chunk: string) {
      this.text += chunk;
      return true;
    },
  };
}

describe('ProgressBar', () => {
  it('logs about one line per tenth when not on a terminal', () => {
    const stream = fakeStream(false);
    const bar = new ProgressBar(100, 'train', stream);
    for (let i = 0; i < 100; i++) bar.tick(`step ${i}`);
    bar.done();
    const lines = stream.text.trimEnd().split('\n');
    // Tenths 0..10 each get their first line: 1%, 10%, 20%, …, 100% → 11 lines; done() adds none.
    expect(lines).toHaveLength(11);
    expect(lines[0]).toContain('train [');
    expect(lines[0]).toContain('1/100');
    expect(lines[10]).toContain('100/100');
    expect(lines[10]).toContain('[########################]');
    expect(lines[10]).toContain('step 99');
    expect(stream.text).not.toContain('\r');
  });

  it('redraws in place on a terminal and ends the line on done()', () => {
    const stream = fakeStream(true);
    const bar = new ProgressBar(4, 'epoch 1', stream);
    bar.tick();
    bar.tick('loss 0.5');
    expect(stream.text.split('\r')).toHaveLength(3);
    expect(stream.text).not.toContain('\n');
    expect(stream.text).toContain('2/4');
    expect(stream.text).toContain('[############............]'); // half of 24 cells
    bar.done('finished');
    expect(stream.text.endsWith('\n')).toBe(true);
    expect(stream.text).toContain('finished');
    const length = stream.text.length;
    bar.tick();
    bar.done();
    expect(stream.text.length).toBe(length); // nothing after done()
  });

  it('logs the final state on done() when the run stopped early', () => {
    const stream = fakeStream(false);
    const bar = new ProgressBar(10, 'x', stream);
    bar.tick();
    bar.done('stopped');
    expect(stream.text.trimEnd().split('\n')).toHaveLength(2);
    expect(stream.text).toContain('stopped');
  });
});
