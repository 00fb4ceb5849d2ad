// poolwarden dashboard: draws every chart of the page with uPlot from the JSON the server put
// beside it (web/html.ts renderChart). Plain script, no build step. Each drawn chart gets
// data-rendered="1" and data-drawn (the non-null points handed to uPlot).
;(function () {
  'use strict'
  var COLORS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d', '#9333ea', '#ea580c', '#0d9488', '#4f46e5']
  var MARK = { critical: '#dc2626', warning: '#d97706', info: '#2563eb', recovery: '#16a34a' }

  function fmt(unit) {
    return function (_u, v) {
      if (v === null || v === undefined) return '—'
      if (unit === 'pct') return (v * 100).toFixed(2) + ' %'
      if (unit === 'ratio') return v.toFixed(4)
      return Math.abs(v) >= 1000 ? v.toFixed(0) : v.toFixed(4)
    }
  }
  function axisFmt(unit) {
    return function (_u, splits) {
      return splits.map(function (v) {
        if (unit === 'pct') return (v * 100).toFixed(2) + '%'
        if (unit === 'ratio') return v.toFixed(3)
        return Math.abs(v) >= 1000 ? (v / 1000).toFixed(1) + 'k' : +v.toFixed(3) + ''
      })
    }
  }

  function draw(fig) {
    var script = fig.querySelector('script.chart-data')
    var holder = fig.querySelector('.plot')
    if (!script || !holder) return
    var c = JSON.parse(script.textContent)
    var unit = (c.series[0] && c.series[0].unit) || 'amount'
    var data = [c.x]
    var drawn = 0
    var running = c.x.map(function () { return null })
    c.series.forEach(function (s) {
      var vals = s.values.map(function (v, i) {
        if (!c.stacked) return v
        // Stacked: each band is the sum so far; no reading below adds nothing (null where none has one yet).
        if (v !== null) running[i] = (running[i] || 0) + v
        return running[i]
      })
      s.values.forEach(function (v) { if (v !== null && isFinite(v)) drawn++ })
      data.push(vals)
    })
    var series = [{}].concat(
      c.series.map(function (s, i) {
        var color = COLORS[i % COLORS.length]
        return { label: s.label, stroke: color, width: 1.5, fill: c.stacked ? color + '55' : undefined, value: fmt(s.unit || unit), spanGaps: false, points: { show: false } }
      }),
    )
    var marks = c.marks || []
    var opts = {
      width: Math.max(260, holder.clientWidth || 600),
      height: 220,
      series: series,
      scales: { x: { time: true, range: c.xRange ? function () { return c.xRange } : undefined } },
      axes: [{}, { values: axisFmt(unit), size: 60 }],
      legend: { live: true },
      cursor: { drag: { x: true, y: false } },
      hooks: {
        draw: [
          function (u) {
            if (!marks.length) return
            var ctx = u.ctx
            ctx.save()
            marks.forEach(function (m) {
              var x = u.valToPos(m.t, 'x', true)
              if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) return
              ctx.strokeStyle = MARK[m.severity] || '#6b7280'
              ctx.lineWidth = 1.5 * (window.devicePixelRatio || 1)
              ctx.setLineDash([4, 3])
              ctx.beginPath()
              ctx.moveTo(x, u.bbox.top)
              ctx.lineTo(x, u.bbox.top + u.bbox.height)
              ctx.stroke()
            })
            ctx.restore()
          },
        ],
      },
    }
    // Stacked: draw the top band first so each lower band paints over it.
    if (c.stacked) {
      opts.series = [series[0]].concat(series.slice(1).reverse())
      data = [data[0]].concat(data.slice(1).reverse())
    }
    var plot = new uPlot(opts, data, holder)
    fig.setAttribute('data-drawn', String(drawn))
    fig.setAttribute('data-series-length', String(c.x.length))
    fig.setAttribute('data-rendered', '1')
    if (marks.length) {
      var list = document.createElement('ul')
      list.className = 'marks'
      marks.forEach(function (m) {
        var li = document.createElement('li')
        li.className = 'mark-' + m.severity
        li.textContent = new Date(m.t * 1000).toISOString().replace('T', ' ').slice(0, 19) + 'Z  ' + m.label
        list.appendChild(li)
      })
      fig.appendChild(list)
    }
    return plot
  }

  var plots = []
  document.querySelectorAll('figure.chart').forEach(function (fig) {
    var p = draw(fig)
    if (p) plots.push({ plot: p, fig: fig })
  })
  var timer = null
  window.addEventListener('resize', function () {
    clearTimeout(timer)
    timer = setTimeout(function () {
      plots.forEach(function (x) {
        var holder = x.fig.querySelector('.plot')
        x.plot.setSize({ width: Math.max(260, holder.clientWidth), height: 220 })
      })
    }, 150)
  })
})()
