// DOM building without HTML parsing: every string becomes a text node or an attribute
// value, so text from WhatsApp (names, messages, event payloads) can never become markup.

/**
 * h('button', { type: 'button', onclick: fn, 'aria-label': 'x' }, 'Text', child, …)
 * Attributes named on* take functions (event listeners); `hidden`, `disabled`, `checked`,
 * `value` are set as properties; everything else with setAttribute. Children: nodes or
 * strings (as text), null/false skipped, arrays flattened.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value)
    else if (name === 'hidden' || name === 'disabled' || name === 'checked' || name === 'value' || name === 'selected' || name === 'multiple') element[name] = value
    else element.setAttribute(name, value === true ? '' : String(value))
  }
  append(element, children)
  return element
}

function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    if (Array.isArray(child)) append(parent, child)
    else if (child instanceof Node) parent.appendChild(child)
    else parent.appendChild(document.createTextNode(String(child)))
  }
}

/** Replaces an element's children with nodes and text (no HTML parsing). */
export function fill(element, ...children) {
  element.replaceChildren()
  append(element, children)
  return element
}

export const byId = (id) => document.getElementById(id)

/** A labelled field: <label>Text <input …></label>, so the input's accessible name is the text. */
export function field(labelText, input) {
  return h('label', { class: 'field' }, h('span', {}, labelText), input)
}

export function timeOf(epochMs) {
  const date = new Date(epochMs)
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleTimeString()
}
