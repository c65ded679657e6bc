// The palette floats over the top left of the canvas: fit the diagram into the part of the
// canvas to its right, so it never covers an element.
const MARGIN = 16;

export function fitClearOfPalette(modeler) {
  const canvas = modeler.get("canvas");
  const container = canvas.getContainer();
  const palette = container.querySelector(".djs-palette");
  canvas.zoom("fit-viewport", "auto");
  const inner = canvas.viewbox().inner;
  const outer = container.getBoundingClientRect();
  if (!inner.width || !inner.height || !outer.width) return;
  const left = palette ? palette.getBoundingClientRect().right - outer.left + MARGIN : MARGIN;
  const width = Math.max(outer.width - left - MARGIN, 50);
  const height = Math.max(outer.height - 2 * MARGIN, 50);
  const scale = Math.min(width / inner.width, height / inner.height, 1);
  canvas.viewbox({
    x: inner.x - left / scale,
    y: inner.y - MARGIN / scale,
    width: outer.width / scale,
    height: outer.height / scale,
  });
}
