/** Draws a scene into an RGB image: a flat background and each object's shape in its pure colour, no anti-aliasing. */
import { BACKGROUND_RGB, COLOR_RGB, type WorldConfig } from './definition';
import { objectBox, type Scene } from './scene';
import { shapeMask } from './shapes';

/** An 8-bit RGB image, row-major, 3 bytes a pixel. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export function blankImage(width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(BACKGROUND_RGB, i * 3);
  return { width, height, data };
}

export function renderScene(scene: Scene, world: WorldConfig): RgbImage {
  const image = blankImage(world.canvas, world.canvas);
  for (const obj of scene.objects) {
    const [x0, y0] = objectBox(obj);
    const mask = shapeMask(obj.shape, obj.size, obj.size);
    const rgb = COLOR_RGB[obj.color];
    for (let y = 0; y < obj.size; y++) {
      for (let x = 0; x < obj.size; x++) {
        const px = x0 + x;
        const py = y0 + y;
        if (!mask[y * obj.size + x] || px < 0 || py < 0 || px >= image.width || py >= image.height) continue;
        image.data.set(rgb, (py * image.width + px) * 3);
      }
    }
  }
  return image;
}
