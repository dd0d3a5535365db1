// Service levels of a relationship (CONTRACT §6, §9.19): per metric, the attainment so far
// (GET /relationships/{id}/service-levels) and a chart of every measured value against the
// objective in force over time (GET .../measurements), breaches marked in red; a list of
// the breaches; and for either party, a form that records a measurement
// (POST .../measurements: a miss is a breach, `service_level.breached`).
// Charts are uPlot (src/chart.ts), loaded with the first page that has something to draw.
import type uPlotType from 'uplot';
import {
  describeError,
  enc,
  getExact,
  listAll,
  post,
  type Measurement,
  type Relationship,
  type ServiceLevel,
  type ServiceLevels,
} from '../api';
import { h, errorBox, fmtTime, table } from '../dom';
import {
  attainmentText,
  inputFromUtc,
  objectiveText,
  seriesOf,
  utcFromInput,
  type Side,
} from '../srm';

type UPlot = typeof uPlotType;
let uPlotModule: Promise<UPlot> | null = null;
function loadUPlot(): Promise<UPlot> {
  uPlotModule ??= import('../chart').then((m) => m.default);
  return uPlotModule;
}

const COLORS = { value: '#1565c0', objective: '#4a5561', breach: '#b3261e' };

/** One metric's chart: measured value (line and points), the objective (dashed steps, as
 *  it changes with the agreement: each measurement's objective holds over the time up to
 *  its period end) and the misses (red dots). Returns the uPlot to destroy. */
function drawChart(
  uPlot: UPlot,
  target: HTMLElement,
  measurements: Measurement[],
  sl: ServiceLevel,
): uPlotType {
  const s = seriesOf(measurements, sl.metric);
  // A margin either side, over which the objective line runs on (so one point has a line too).
  const first = s.x[0];
  const last = s.x[s.x.length - 1];
  const pad = last > first ? (last - first) * 0.04 : 86400;
  const data: uPlotType.AlignedData = [
    [first - pad, ...s.x, last + pad],
    [null, ...s.value, null],
    [s.objective[0], ...s.objective, s.objective[s.objective.length - 1]],
    [null, ...s.breach, null],
  ];
  const width = Math.max(280, Math.min(target.clientWidth || 640, 900));
  const opts: uPlotType.Options = {
    width,
    height: 220,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    scales: {
      x: { time: true },
      y: {
        range: (_u, min, max) => {
          const margin = Math.max((max - min) * 0.15, Math.abs(max) * 0.001, 0.5);
          return [min - margin, max + margin];
        },
      },
    },
    axes: [{}, { label: sl.unit, size: 60 }],
    series: [
      { label: 'period end (UTC)' },
      {
        label: 'measured',
        stroke: COLORS.value,
        width: 2,
        points: { show: true, size: 6, fill: COLORS.value },
      },
      {
        label: `objective (${objectiveText(sl)})`,
        stroke: COLORS.objective,
        width: 1.5,
        dash: [6, 4],
        paths: uPlot.paths.stepped!({ align: -1 }),
        points: { show: false },
      },
      {
        label: 'breach',
        stroke: COLORS.breach,
        fill: COLORS.breach,
        width: 0,
        paths: () => null,
        points: { show: true, size: 10, width: 2, stroke: COLORS.breach, fill: COLORS.breach },
      },
    ],
    legend: { live: false },
  };
  return new uPlot(opts, data, target);
}

export interface LevelsSection {
  render: () => Promise<Node[]>;
  /** Destroys the charts drawn (when the view is left or drawn again). */
  dispose: () => void;
}

/** The service levels section's content for the relationship as `current()` last read it;
 *  `onRecorded` reloads it with a message. */
export function serviceLevels(
  current: () => Relationship,
  side: Side,
  signal: AbortSignal,
  onRecorded: (message: string) => void,
): LevelsSection {
  let charts: uPlotType[] = [];
  const dispose = () => {
    for (const c of charts) c.destroy();
    charts = [];
  };
  const render = async (): Promise<Node[]> => {
    dispose();
    const rel = current();
    if (rel.agreement === null)
      return [
        h(
          'p',
          { class: 'muted' },
          'Service levels are measured once the relationship is active and has its agreement.',
        ),
      ];
    const [summary, measurements] = await Promise.all([
      getExact<ServiceLevels>(`/relationships/${enc(rel.id)}/service-levels`, signal),
      listAll<Measurement>(`relationships/${enc(rel.id)}/measurements`, {}, signal),
    ]);
    const levels: ServiceLevel[] = summary.items;
    const nodes: Node[] = [];

    // Attainment per metric.
    nodes.push(
      summary.items.length
        ? table(
            [
              'metric',
              'objective',
              'measurements',
              'met',
              'attainment',
              'breaches',
              'last measured',
            ],
            summary.items.map((x) => [
              h('strong', null, x.metric),
              objectiveText(x),
              String(x.measurements),
              String(x.met),
              h(
                'span',
                {
                  class: 'attainment',
                  'data-metric': x.metric,
                  'data-attainment': x.attainment === null ? '' : String(x.attainment),
                },
                x.attainment === null
                  ? null
                  : h('meter', {
                      min: 0,
                      max: 1,
                      low: 0.95,
                      high: 0.99,
                      optimum: 1,
                      value: x.attainment,
                      'aria-hidden': 'true',
                    }),
                ' ',
                attainmentText(x.attainment),
              ),
              x.breaches.length
                ? h('span', { class: 'breach-count' }, String(x.breaches.length))
                : '0',
              x.last ? `${x.last.value} ${x.last.unit} · ${fmtTime(x.last.period.end)}` : '—',
            ]),
            { 'data-testid': 'sl-summary' },
          )
        : h('p', { class: 'muted' }, 'The agreement sets no service level.'),
    );

    // A chart per metric.
    const figures: { el: HTMLElement; sl: ServiceLevel }[] = [];
    const grid = h('div', { class: 'sl-charts' });
    for (const sl of levels) {
      const s = seriesOf(measurements, sl.metric);
      const plot = h('div', { class: 'sl-plot' });
      const fig = h(
        'figure',
        {
          class: 'sl-chart',
          'data-metric': sl.metric,
          'data-points': String(s.x.length),
          'data-breaches': String(s.breaches),
        },
        h(
          'figcaption',
          null,
          h('strong', null, sl.metric),
          ` — measured value against the objective (${objectiveText(sl)})`,
          s.breaches
            ? [
                ' · ',
                h(
                  'span',
                  { class: 'breach-note' },
                  `${s.breaches} breach${s.breaches === 1 ? '' : 'es'} marked in red`,
                ),
              ]
            : '',
        ),
        s.x.length ? plot : h('p', { class: 'muted' }, 'No measurement yet.'),
      );
      grid.append(fig);
      if (s.x.length) figures.push({ el: plot, sl });
    }
    nodes.push(grid);

    // The breaches, newest first.
    const breaches = measurements
      .filter((m) => !m.met)
      .sort((a, b) => Date.parse(b.period.end) - Date.parse(a.period.end));
    nodes.push(
      h('h3', null, `Breaches (${breaches.length})`),
      breaches.length
        ? table(
            ['metric', 'period (UTC)', 'measured', 'objective', 'agreement', 'recorded'],
            breaches.map((m) => [
              m.metric,
              `${fmtTime(m.period.start)} → ${fmtTime(m.period.end)}`,
              h('strong', { class: 'missed' }, `${m.value} ${m.unit}`),
              objectiveText(m),
              `v${m.agreement_version}`,
              fmtTime(m.at),
            ]),
            { 'data-testid': 'sl-breaches' },
          )
        : h('p', { class: 'muted', 'data-testid': 'sl-no-breach' }, 'No breach.'),
    );

    if (side !== 'none' && levels.length) {
      nodes.push(
        rel.status === 'active' || rel.status === 'suspended'
          ? measurementForm(rel, levels, onRecorded)
          : h(
              'p',
              { class: 'muted' },
              `Measurements are recorded while the relationship is active or suspended (it is ${rel.status}).`,
            ),
      );
    }

    // Draw once the figures are in the page (uPlot sizes to them).
    if (figures.length) {
      queueMicrotask(async () => {
        try {
          const uPlot = await loadUPlot();
          if (signal.aborted) return;
          for (const f of figures)
            if (f.el.isConnected) charts.push(drawChart(uPlot, f.el, measurements, f.sl));
        } catch (e) {
          for (const f of figures)
            f.el.replaceChildren(errorBox(`The chart could not be drawn: ${describeError(e)}`));
        }
      });
    }
    return nodes;
  };
  return { render, dispose };
}

function measurementForm(
  rel: Relationship,
  levels: ServiceLevel[],
  onRecorded: (message: string) => void,
): HTMLElement {
  const now = new Date();
  now.setUTCSeconds(0, 0);
  const metric = h(
    'select',
    { id: 'measure-metric', name: 'metric' },
    levels.map((l) => h('option', { value: l.metric }, `${l.metric} (${objectiveText(l)})`)),
  );
  const value = h('input', {
    id: 'measure-value',
    name: 'value',
    type: 'number',
    step: 'any',
    required: true,
    size: 10,
  });
  const start = h('input', {
    id: 'measure-start',
    type: 'datetime-local',
    required: true,
    value: inputFromUtc(new Date(now.getTime() - 3600_000)),
  });
  const end = h('input', {
    id: 'measure-end',
    type: 'datetime-local',
    required: true,
    value: inputFromUtc(now),
  });
  const note = h('input', { id: 'measure-note', size: 30 });
  const unit = h('span', { class: 'muted' });
  const syncUnit = () =>
    (unit.textContent = levels.find((l) => l.metric === metric.value)?.unit ?? '');
  metric.addEventListener('change', syncUnit);
  syncUnit();
  const result = h('div', {
    class: 'result',
    'aria-live': 'polite',
    'data-testid': 'measure-result',
  });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Record measurement');
  return h(
    'form',
    {
      class: 'srm-form',
      'aria-label': 'Record a measurement',
      'data-testid': 'measure',
      onsubmit: async (ev: Event) => {
        ev.preventDefault();
        result.replaceChildren();
        let body: Record<string, unknown>;
        try {
          const v = Number(value.value);
          if (value.value.trim() === '' || !isFinite(v))
            throw new Error('The measured value must be a number.');
          body = {
            metric: metric.value,
            value: v,
            period: { start: utcFromInput(start.value), end: utcFromInput(end.value) },
          };
          if (note.value.trim()) body.note = note.value.trim();
        } catch (e) {
          result.append(errorBox(describeError(e)));
          return;
        }
        submit.disabled = true;
        try {
          const m = await post<Measurement>(`/relationships/${enc(rel.id)}/measurements`, body);
          onRecorded(
            m.met
              ? `Recorded: ${m.metric} ${m.value} ${m.unit} meets ${objectiveText(m)}.`
              : `Recorded a breach: ${m.metric} ${m.value} ${m.unit} misses ${objectiveText(m)}.`,
          );
        } catch (e) {
          result.append(errorBox(`The measurement was refused: ${describeError(e)}`));
        } finally {
          submit.disabled = false;
        }
      },
    },
    h('h3', null, 'Record a measurement'),
    h(
      'div',
      { class: 'inline' },
      h('label', { for: 'measure-metric' }, 'Metric'),
      metric,
      h('label', { for: 'measure-value' }, 'Value'),
      value,
      unit,
    ),
    h(
      'div',
      { class: 'inline' },
      h('label', { for: 'measure-start' }, 'Period from (UTC)'),
      start,
      h('label', { for: 'measure-end' }, 'to'),
      end,
    ),
    h('div', { class: 'inline' }, h('label', { for: 'measure-note' }, 'Note'), note),
    submit,
    result,
  );
}
