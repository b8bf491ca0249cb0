/** The operations page's style sheet (inlined in the page, allowed by its hash in the CSP). */
export const UI_STYLE = `
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2330;background:#f4f6f9}
header{display:flex;flex-wrap:wrap;gap:12px;align-items:baseline;padding:12px 20px;background:#1d2330;color:#fff}
header h1{font-size:20px;margin:0}
header input{margin-left:auto;padding:4px 8px;min-width:240px;border:0;border-radius:4px}
.meta{color:#b8c0d0}.meta b{color:#fff}
#live{padding:1px 8px;border-radius:10px;font-size:12px;background:#7a8497;color:#fff}
#live.on{background:#1f9d55}#live.off{background:#cc1f1a}
main{padding:8px 20px 40px;display:grid;grid-template-columns:minmax(0,3fr) minmax(260px,1fr);gap:0 20px}
main>.wide{grid-column:1}main>aside{grid-column:2;grid-row:1/span 3}
@media (max-width:1000px){main{display:block}}
h2{font-size:16px;margin:20px 0 8px;display:flex;gap:10px;align-items:baseline}
h2 small,h3 small{font-weight:normal;color:#5b6478;font-size:13px}
h3{font-size:15px;margin:0;display:flex;gap:10px;align-items:baseline}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #e3e7ee;font-variant-numeric:tabular-nums;vertical-align:top}
th{font-weight:600;color:#5b6478;background:#fafbfc}
td.num,th.num{text-align:right}
.card{background:#fff;border:1px solid #dfe3ea;border-radius:6px;margin:0 0 12px;padding:8px 10px}
.card table{margin-top:6px}
.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px}
.badge{display:inline-block;min-width:70px;padding:1px 6px;border-radius:10px;color:#fff;font-size:12px;text-align:center}
.st-0,.m-alive{background:#1f9d55}.st-4{background:#d98200}.st-2,.m-dead{background:#cc1f1a}
.st-3,.m-gone{background:#7a8497}.st-1,.m-left{background:#3d4451}.m-suspect{background:#d98200}
.e-ejected{background:#cc1f1a}.e-warming{background:#2b7bb9}.e-ok{background:#1f9d55}
tr.down td{background:#fdf1f1}
tr.tombstone td,tr.departed td{color:#8a93a5}
tr.tombstone td.id{text-decoration:line-through}
tr.local td:first-child{font-weight:600}
.reason{color:#8a1111;white-space:pre-wrap;word-break:break-word}
.card.down{border-color:#cc1f1a}
button{padding:2px 10px;border:1px solid #d98200;background:#fff;color:#a86400;border-radius:4px;cursor:pointer}
button:disabled{opacity:.5;cursor:default}
.banner{margin:12px 20px 0;padding:8px 12px;border-radius:4px}
.error{background:#fde8e8;color:#8a1111}.notice{background:#e8f4fd;color:#0b4a75}
.collision{color:#8a1111;font-size:13px;margin-top:4px}
.empty{color:#7a8497;font-style:italic}
#timeline{list-style:none;margin:0;padding:0;background:#fff;border:1px solid #dfe3ea;border-radius:6px;max-height:70vh;overflow:auto}
#timeline li{padding:4px 8px;border-bottom:1px solid #eef1f5;font-size:13px}
#timeline li time{color:#5b6478;margin-right:6px;font-variant-numeric:tabular-nums}
#timeline li.t-drain{border-left:3px solid #d98200}#timeline li.t-member{border-left:3px solid #2b7bb9}
#timeline li.t-bad{border-left:3px solid #cc1f1a}#timeline li.t-good{border-left:3px solid #1f9d55}
`;
