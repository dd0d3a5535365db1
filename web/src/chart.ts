// uPlot and its stylesheet, as one module that views load on demand (import('./chart')),
// so that pages without a chart do not carry it.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export default uPlot;
