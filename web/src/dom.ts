// Small DOM helpers shared by the consoles.

/** The element with this id; a missing one is a bug in the page, not a state to handle. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element as T;
}

type Child = Node | string | null | undefined | false;

/** Builds an element: `h("td", { class: "n" }, "3")`. Text is always set as text, never as HTML. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | number | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child);
  }
  return element;
}

const SVG = "http://www.w3.org/2000/svg";

/** Builds an SVG element with attributes. */
export function s(tag: string, attributes: Record<string, string | number> = {}, text?: string): SVGElement {
  const element = document.createElementNS(SVG, tag) as SVGElement;
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

/** Wall-clock time in a zone, `14:05`. */
export function clock(at: Date | undefined, timeZone: string): string {
  if (!at) return "";
  return at.toLocaleTimeString("zh-CN", { timeZone, hour: "2-digit", minute: "2-digit", hour12: false });
}

/** The calendar date of `at` in a zone, as YYYY-MM-DD. */
export function isoDate(at: Date, timeZone: string): string {
  return at.toLocaleDateString("sv-SE", { timeZone });
}

/** The instant of a wall-clock time on a date in a zone with a fixed offset (Asia/Shanghai, +08:00). */
export function instantAt(date: string, time: string, offset = "+08:00"): Date {
  return new Date(`${date}T${time}:00${offset}`);
}
