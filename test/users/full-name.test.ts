import {
  checkFullName,
  describeFullNameProblem,
  InvalidFullNameError,
  type FullNameProblem,
} from '../../src/users/full-name';

describe('a full name', () => {
  it.each(['Ada Lovelace', "Zoë O'Brien-Šimić", 'محمد بن موسى', '李小龍', 'Eve & Co <b>'])(
    'is accepted in any script and with punctuation: %s',
    (name) => {
      expect(checkFullName(name)).toEqual({ isValid: true, fullName: name });
    },
  );

  it('is trimmed, line breaks and tabs at its ends included', () => {
    expect(checkFullName('  \tAda Lovelace\r\n')).toEqual({
      isValid: true,
      fullName: 'Ada Lovelace',
    });
  });

  it('has at most 100 code points, however many UTF-16 units they take', () => {
    expect(checkFullName('\u{1D49C}'.repeat(100)).isValid).toBe(true);
    expect(checkFullName('a'.repeat(100)).isValid).toBe(true);
    expect(checkFullName('a'.repeat(101))).toMatchObject({ isValid: false, problem: 'too-long' });
    expect(checkFullName('\u{1D49C}'.repeat(101))).toMatchObject({ problem: 'too-long' });
  });

  it('is refused when empty or only white space', () => {
    for (const name of ['', '   ', '\u00a0\t']) {
      expect(checkFullName(name)).toMatchObject({ isValid: false, problem: 'empty' });
    }
  });

  const refused: [string, string, FullNameProblem][] = [
    ['CR LF (a mail header after it)', 'Alice\r\nBcc: x@evil.example', 'line-break'],
    ['LF', 'Alice\nBob', 'line-break'],
    ['CR', 'Alice\rBob', 'line-break'],
    ['a vertical tab', 'Alice\vBob', 'line-break'],
    ['a form feed', 'Alice\fBob', 'line-break'],
    ['NEL (U+0085)', 'Alice\u0085Bob', 'line-break'],
    ['the line separator U+2028', 'Alice\u2028Bob', 'line-break'],
    ['the paragraph separator U+2029', 'Alice\u2029Bob', 'line-break'],
    ['a tab', 'Ada\tLovelace', 'control'],
    ['NUL', 'Ada\u0000Lovelace', 'control'],
    ['an escape (terminal colours)', 'Ada\u001b[31mLovelace', 'control'],
    ['DEL', 'Ada\u007fLovelace', 'control'],
    ['the C1 control CSI (U+009B)', 'Ada\u009b31mLovelace', 'control'],
    ...[0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069].map(
      (code): [string, string, FullNameProblem] => [
        `the direction control U+${code.toString(16).toUpperCase()}`,
        `Ada ${String.fromCodePoint(code)}Lovelace`,
        'direction',
      ],
    ),
  ];

  it.each(refused)('is refused when it holds %s', (_label, name, problem) => {
    expect(checkFullName(name)).toMatchObject({ isValid: false, problem });
  });

  it('says what to do for each problem, and the error never repeats the name', () => {
    expect(describeFullNameProblem('line-break')).toBe(
      'Put your name on one line, without line breaks.',
    );
    const error = new InvalidFullNameError('line-break');
    expect(error.message).toBe(
      'the full name cannot be used: Put your name on one line, without line breaks.',
    );
    expect(describeFullNameProblem('direction')).toContain('U+202A to U+202E, U+2066 to U+2069');
  });
});
