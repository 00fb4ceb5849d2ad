/**
 * Locate the first syntax error in JSON text. `JSON.parse` does not always say where (Node 20:
 * `Unexpected token '}', "…" is not valid JSON` has no position), and a config error must name
 * the line and column. A small strict scanner (RFC 8259) that only validates; returns undefined
 * when the text is valid JSON.
 */
export interface JsonSyntaxError {
  /** Offset of the offending character (text.length for an unexpected end). */
  offset: number
  /** What is wrong there, with the usual cause when there is one. */
  reason: string
}

export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  let i = 0
  const fail = (reason: string, at = i): never => {
    throw { offset: at, reason } satisfies JsonSyntaxError
  }
  const ws = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++
  }
  const shown = (at: number) => (at >= text.length ? 'end of file' : `'${text[at]}'`)
  const previous = () => {
    let j = i - 1
    while (j >= 0 && ' \t\n\r'.includes(text[j]!)) j--
    return text[j]
  }

  const value = (): void => {
    ws()
    if (i >= text.length) fail('unexpected end of file: a value is missing')
    const c = text[i]
    if (c === '{') return object()
    if (c === '[') return array()
    if (c === '"') return string()
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number()
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) {
        i += word.length
        return
      }
    }
    if (c === "'") fail('strings must use double quotes, not single quotes')
    if (previous() === ':') fail(`a value is missing after ':' (got ${shown(i)})`)
    if (c === '}' || c === ']' || c === ',') fail(`expected a value, got ${shown(i)} (a trailing or doubled comma?)`)
    fail(`expected a value, got ${shown(i)} (text must be quoted: "…")`)
  }

  const object = () => {
    i++ // {
    ws()
    if (text[i] === '}') {
      i++
      return
    }
    for (;;) {
      ws()
      if (text[i] !== '"') {
        if (text[i] === '}') fail(`expected a property name, got '}' (a trailing comma before it?)`)
        if (i >= text.length) fail(`unexpected end of file: an object is not closed with '}'`)
        fail(`expected a double-quoted property name, got ${shown(i)}`)
      }
      string()
      ws()
      if (text[i] !== ':') fail(`expected ':' after the property name, got ${shown(i)}`)
      i++
      value()
      ws()
      if (text[i] === ',') {
        i++
        continue
      }
      if (text[i] === '}') {
        i++
        return
      }
      if (i >= text.length) fail(`unexpected end of file: an object is not closed with '}'`)
      fail(`expected ',' or '}' after a property value, got ${shown(i)} (a missing comma?)`)
    }
  }

  const array = () => {
    i++ // [
    ws()
    if (text[i] === ']') {
      i++
      return
    }
    for (;;) {
      ws()
      if (text[i] === ']') fail(`expected a value, got ']' (a trailing comma before it?)`)
      value()
      ws()
      if (text[i] === ',') {
        i++
        continue
      }
      if (text[i] === ']') {
        i++
        return
      }
      if (i >= text.length) fail(`unexpected end of file: a list is not closed with ']'`)
      fail(`expected ',' or ']' after a list entry, got ${shown(i)} (a missing comma?)`)
    }
  }

  const string = () => {
    const start = i
    i++ // "
    while (i < text.length) {
      const c = text.charCodeAt(i)
      if (c === 0x22) {
        i++
        return
      }
      if (c === 0x5c) {
        const e = text[i + 1]
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('bad \\u escape: expected 4 hex digits')
          i += 6
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2
        else fail(`bad escape "\\${e ?? ''}" in a string`)
        continue
      }
      if (c < 0x20) fail(c === 0x0a ? 'line break inside a string (a missing closing quote?)' : 'control character inside a string')
      i++
    }
    fail('unexpected end of file: a string is not closed with a double quote', start)
  }

  const number = () => {
    const start = i
    if (text[i] === '-') i++
    const digits = () => {
      const s = i
      while (i < text.length && text[i]! >= '0' && text[i]! <= '9') i++
      return i - s
    }
    if (text[i] === '0') i++
    else if (digits() === 0) fail('invalid number: expected a digit')
    if (text[i] === '.') {
      i++
      if (digits() === 0) fail('invalid number: expected a digit after "."')
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++
      if (text[i] === '+' || text[i] === '-') i++
      if (digits() === 0) fail('invalid number: expected a digit in the exponent')
    }
    if (i < text.length && /[0-9A-Za-z_]/.test(text[i]!)) fail(`invalid number starting at ${JSON.stringify(text.slice(start, i + 1))}`)
  }

  try {
    value()
    ws()
    if (i < text.length) fail(`unexpected ${shown(i)} after the end of the JSON value`)
    return undefined
  } catch (e) {
    if (typeof e === 'object' && e !== null && 'offset' in e) return e as JsonSyntaxError
    throw e
  }
}
