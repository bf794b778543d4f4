/**
 * The samples: the images of one step, each with its prompt, the model's answer, reward and
 * advantage; a GRPO group's images side by side. A step slider picks the step and follows the
 * live run while "Follow" is on. Images are upscaled without blurring (image-rendering: pixelated);
 * each PNG is turned into a blob: URL once and reused.
 */
import type { ViewSettings } from '../settings';
import { groupsOf, type Changes, type RunModel, type Sample, type SampleStep } from '../state';
import { append, fmt, h } from './dom';

export class Samples {
  readonly el: HTMLElement;
  private readonly slider = h('input', { id: 'sample-step', type: 'range', min: 0, max: 0, step: 1, value: 0, disabled: true });
  private readonly follow = h('input', { id: 'sample-follow', type: 'checkbox' });
  private readonly label = h('output', { for: 'sample-step', class: 'step-label', 'aria-live': 'polite' });
  private readonly grid = h('div', { class: 'samples' });
  private readonly empty = h('p', { class: 'empty' }, 'No samples yet.');
  private readonly dialog = new Enlarged((s) => this.url(s));
  private model: RunModel | null = null;
  private urls = new Map<number, string>();
  private shownKey: string | null = null;
  private shownCount = 0;

  constructor(
    private readonly settings: ViewSettings,
    save: () => void,
  ) {
    this.follow.checked = settings.followSamples;
    this.slider.addEventListener('input', () => {
      const steps = this.model?.steps ?? [];
      const index = Number(this.slider.value);
      settings.followSamples = index === steps.length - 1 && this.follow.checked;
      settings.sampleStep = steps[index]?.key ?? null;
      this.follow.checked = settings.followSamples;
      save();
      this.render();
    });
    this.follow.addEventListener('change', () => {
      // Unfollowing holds the step shown now.
      if (!this.follow.checked) settings.sampleStep = this.current()?.step.key ?? null;
      settings.followSamples = this.follow.checked;
      save();
      this.render();
    });
    this.el = h(
      'div',
      {},
      h(
        'div',
        { class: 'controls' },
        h('label', { for: 'sample-step' }, 'Step'),
        this.slider,
        this.label,
        h('label', { class: 'check', title: 'Show the newest step as samples arrive' }, this.follow, 'Follow'),
      ),
      this.empty,
      this.grid,
      this.dialog.el,
    );
  }

  reset(model: RunModel): void {
    for (const url of this.urls.values()) URL.revokeObjectURL(url);
    this.urls.clear();
    this.model = model;
    this.shownKey = null;
    this.render();
  }

  update(changes: Pick<Changes, 'sampleSteps' | 'rewound'>): void {
    if (changes.sampleSteps.size > 0 || changes.rewound) this.render();
  }

  private current(): { index: number; step: SampleStep } | null {
    const steps = this.model?.steps ?? [];
    if (steps.length === 0) return null;
    let index = steps.length - 1;
    if (!this.settings.followSamples && this.settings.sampleStep !== null) {
      const picked = steps.findIndex((s) => s.key === this.settings.sampleStep);
      if (picked >= 0) index = picked;
    }
    return { index, step: steps[index]! };
  }

  private render(): void {
    const model = this.model;
    const steps = model?.steps ?? [];
    const current = this.current();
    this.empty.hidden = current !== null;
    this.slider.disabled = steps.length < 2;
    this.slider.max = String(Math.max(0, steps.length - 1));
    if (!model || !current) {
      this.label.textContent = '';
      this.grid.replaceChildren();
      this.shownKey = null;
      return;
    }
    this.slider.value = String(current.index);
    const { step } = current;
    const kind = model.stageKinds.get(step.stage);
    const text = `stage ${step.stage + 1}${kind ? ` ${kind}` : ''}, step ${step.step} (${current.index + 1}/${steps.length})`;
    this.label.textContent = text;
    this.slider.setAttribute('aria-valuetext', text);
    this.grid.dataset['step'] = step.key;
    // Samples only ever append to a step: redraw when the step or its count changed.
    if (this.shownKey === step.key && this.shownCount === step.samples.length) return;
    this.shownKey = step.key;
    this.shownCount = step.samples.length;
    const groups = groupsOf(step);
    const grouped = groups.some((g) => g.samples.length > 1);
    this.grid.className = grouped ? 'samples grouped' : 'samples';
    if (grouped) {
      this.grid.replaceChildren(
        ...groups.map((g) => {
          const rewards = g.samples.map((s) => s.reward).filter((r): r is number => r !== undefined);
          const mean = rewards.length ? rewards.reduce((a, b) => a + b, 0) / rewards.length : null;
          return h(
            'section',
            { class: 'group', 'aria-label': `Group: ${g.prompt}` },
            h('h4', {}, g.prompt, h('span', { class: 'muted' }, ` · ${g.samples.length} images${mean !== null ? ` · mean reward ${fmt(mean)}` : ''}`)),
            h('div', { class: 'group-row' }, ...g.samples.map((s) => this.cell(s, step, false))),
          );
        }),
      );
    } else {
      this.grid.replaceChildren(...step.samples.map((s) => this.cell(s, step, true)));
    }
  }

  private cell(s: Sample, step: SampleStep, withPrompt: boolean): HTMLElement {
    const details = describe(s);
    const tone = s.advantage !== undefined ? (s.advantage > 0 ? 'pos' : s.advantage < 0 ? 'neg' : '') : s.reward !== undefined ? (s.reward > 0 ? 'pos' : 'neg') : '';
    return h(
      'button',
      {
        type: 'button',
        class: `sample ${tone}`,
        'data-seq': s.seq,
        'aria-label': `${s.prompt}. ${details.join(', ')}. Open larger.`,
        onclick: () => this.dialog.open(step, s),
      },
      h('img', { src: this.url(s), alt: '', draggable: 'false' }),
      withPrompt && h('span', { class: 'prompt' }, s.prompt),
      s.answer !== undefined && h('span', { class: 'answer' }, `“${s.answer}”`),
      details.length > 0 && h('span', { class: 'scores' }, details.join(' · ')),
    );
  }

  /** The image's blob: URL, made once per sample. */
  private url(s: Sample): string {
    let url = this.urls.get(s.seq);
    if (!url) {
      const bytes = Uint8Array.from(atob(s.pngBase64), (c) => c.charCodeAt(0));
      url = URL.createObjectURL(new Blob([bytes], { type: 'image/png' }));
      this.urls.set(s.seq, url);
    }
    return url;
  }
}

function describe(s: Sample): string[] {
  const out: string[] = [];
  if (s.reward !== undefined) out.push(`reward ${fmt(s.reward)}`);
  if (s.advantage !== undefined) out.push(`adv ${s.advantage > 0 ? '+' : ''}${fmt(s.advantage)}`);
  return out;
}

/** The larger view of one sample (a modal dialog: Escape closes it, arrows move within the step). */
class Enlarged {
  readonly el: HTMLDialogElement;
  private readonly img = h('img', { class: 'large', alt: '' });
  private readonly caption = h('div', { class: 'large-caption' });
  private step: SampleStep | null = null;
  private index = 0;

  constructor(private readonly url: (s: Sample) => string) {
    const prev = h('button', { type: 'button', class: 'secondary', 'aria-label': 'Previous image', onclick: () => this.move(-1) }, '‹');
    const next = h('button', { type: 'button', class: 'secondary', 'aria-label': 'Next image', onclick: () => this.move(1) }, '›');
    const close = h('button', { type: 'button', 'aria-label': 'Close', onclick: () => this.el.close() }, 'Close');
    this.el = h('dialog', { class: 'enlarged', 'aria-label': 'Sample' }, this.img, this.caption, h('div', { class: 'dialog-buttons' }, prev, next, close));
    this.el.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowLeft') this.move(-1);
      else if (e.key === 'ArrowRight') this.move(1);
    });
    // A click on the backdrop (outside the dialog's box) closes it.
    this.el.addEventListener('click', (e) => {
      if (e.target === this.el) this.el.close();
    });
  }

  open(step: SampleStep, s: Sample): void {
    this.step = step;
    this.index = Math.max(0, step.samples.indexOf(s));
    this.show();
    if (!this.el.open) this.el.showModal();
  }

  private move(delta: number): void {
    if (!this.step) return;
    const n = this.step.samples.length;
    this.index = (this.index + delta + n) % n;
    this.show();
  }

  private show(): void {
    const s = this.step?.samples[this.index];
    if (!s || !this.step) return;
    this.img.src = this.url(s);
    this.img.alt = s.prompt;
    this.caption.replaceChildren();
    append(
      this.caption,
      h('div', { class: 'prompt' }, s.prompt),
      s.answer !== undefined && h('div', {}, 'Answer: ', h('span', { class: 'answer' }, s.answer)),
      h('div', { class: 'scores' }, [...describe(s), `step ${s.step}`, `${this.index + 1}/${this.step.samples.length}`].join(' · ')),
      h('div', { class: 'muted path' }, s.path),
    );
  }
}
