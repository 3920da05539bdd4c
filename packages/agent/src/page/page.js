// The local transparency page: reads /api/day with the session token from the URL and draws
// the day as a step chart (uPlot; no inline scripts or styles, so it runs under a strict CSP).
(function () {
  'use strict';
  var token = new URLSearchParams(location.search).get('token') || '';
  function el(tag, text, cls) { var e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; }
  function hms(ms) { return new Date(ms).toTimeString().slice(0, 8); }
  fetch('/api/day', { headers: { 'x-parapet-token': token } }).then(function (r) {
    if (!r.ok) throw new Error('The page token is wrong or expired; open the address parapet-agent printed.');
    return r.json();
  }).then(function (d) {
    var ul = document.getElementById('controls');
    d.controls.concat([d.keyStore]).forEach(function (c) { ul.appendChild(el('li', c)); });
    var tb = document.getElementById('intervals');
    d.intervals.forEach(function (i) {
      var tr = el('tr');
      [hms(i.start), hms(i.end)].forEach(function (t) { tr.appendChild(el('td', t)); });
      tr.appendChild(el('td', i.state, 'state-' + i.state));
      [i.app, i.category, i.domain, i.localCategory].forEach(function (v) { tr.appendChild(el('td', v === null ? '—' : v)); });
      tr.appendChild(el('td', i.open ? 'recording' : i.uploaded ? 'uploaded' : i.batchId ? 'sealed' : 'waiting'));
      tb.appendChild(tr);
    });
    var p = d.pending, lines = [];
    p.sealed.forEach(function (b) { lines.push('batch ' + b.batch_id + ' (sealed, ' + b.attempts + ' attempts):', b.body); });
    if (p.unsealed.length) lines.push('not yet in a batch:'); lines = lines.concat(p.unsealed);
    if (p.open) lines.push('being recorded now:', p.open);
    document.getElementById('pending').textContent = lines.length ? lines.join('\n') : 'Nothing is waiting to be sent.';
    // Step series: 1 while in that state. Points at every interval boundary, in seconds.
    var xs = [], a = [], idle = [], pz = [];
    function push(t, s) { xs.push(t / 1000); a.push(s === 'active' ? 1 : 0); idle.push(s === 'idle' ? 1 : 0); pz.push(s === 'paused' ? 1 : 0); }
    var last = d.from;
    d.intervals.forEach(function (i) {
      var s = Math.max(i.start, d.from);
      if (s > last) push(last, 'none');
      push(s, i.state); last = Math.min(i.end, d.to);
    });
    push(last, 'none'); if (last < d.to) push(d.to, 'none');
    var step = uPlot.paths.stepped({ align: 1 });
    new uPlot({
      width: Math.min(1100, document.body.clientWidth - 10), height: 180,
      scales: { x: { time: true, min: d.from / 1000, max: d.to / 1000 }, y: { range: [0, 1.1] } },
      axes: [{}, { show: false }],
      series: [{}, { label: 'active', stroke: '#1a7f37', fill: 'rgba(26,127,55,.35)', paths: step, points: { show: false } },
        { label: 'idle', stroke: '#9a6700', fill: 'rgba(154,103,0,.35)', paths: step, points: { show: false } },
        { label: 'paused', stroke: '#6e7781', fill: 'rgba(110,119,129,.35)', paths: step, points: { show: false } }],
    }, [xs, a, idle, pz], document.getElementById('timeline'));
  }).catch(function (e) { document.body.insertBefore(el('p', e.message), document.body.firstChild); });
})();
