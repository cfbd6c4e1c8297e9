// conformance.js - the reference side of the histogram conformance test:
// hdr-histogram-js (the published HdrHistogram format, independent code)
// reads the interval log our C library wrote and must find the same numbers;
// then it writes a log of its own for the C side to read.
//
// usage: node conformance.js NODE_MODULES C_LOG EXPECTED.json C_HGRM JS_LOG JS_EXPECTED
"use strict";
const fs = require("fs");
const path = require("path");

const [modules, cLog, expectedJson, cHgrm, jsLog, jsExpected] = process.argv.slice(2);
if (!jsExpected) {
  console.error("usage: node conformance.js NODE_MODULES C_LOG EXPECTED.json C_HGRM JS_LOG JS_EXPECTED");
  process.exit(2);
}
const hdr = require(path.join(modules, "hdr-histogram-js"));

let failures = 0;
function check(cond, msg) {
  if (!cond) {
    failures++;
    console.error("FAIL " + msg);
  }
}

// "Within one bucket", judged by the reference's own bucket boundaries.
function sameBucket(h, a, b) {
  return h.lowestEquivalentValue(a) === h.lowestEquivalentValue(b);
}

function compareStats(name, h, want) {
  check(h.totalCount === want.count, `${name}: count ${h.totalCount}, C wrote ${want.count}`);
  if (want.count === 0)
    return;
  if (want.min === 0)
    check(h.getCountAtValue(0) > 0, `${name}: C's min is 0 but the reference has no 0`);
  else
    check(sameBucket(h, h.minNonZeroValue, want.min), `${name}: min ${h.minNonZeroValue}, C ${want.min}`);
  check(sameBucket(h, h.maxValue, want.max), `${name}: max ${h.maxValue}, C ${want.max}`);
  for (const p of [50, 99, 99.9]) {
    const got = h.getValueAtPercentile(p);
    check(sameBucket(h, got, want["p" + p]), `${name}: p${p} ${got}, C ${want["p" + p]}`);
  }
}

// 1. Read the C log interval by interval.
const expected = JSON.parse(fs.readFileSync(expectedJson, "utf8"));
const reader = new hdr.HistogramLogReader(fs.readFileSync(cLog, "utf8"));
const merged = hdr.build({ bitBucketSize: 64, lowestDiscernibleValue: 1,
                           highestTrackableValue: 3600e9, numberOfSignificantValueDigits: 3 });
let intervals = 0;
for (let h; (h = reader.nextIntervalHistogram()) !== null; intervals++) {
  const want = expected["interval" + intervals];
  check(want !== undefined, `unexpected interval ${intervals}`);
  if (want)
    compareStats("interval" + intervals, h, want);
  check(h.startTimeStampMsec === (1763769600 + intervals) * 1000,
        `interval${intervals}: start ${h.startTimeStampMsec}`);
  merged.add(h);
}
check(intervals === Object.keys(expected).length - 1, `read ${intervals} intervals`);
compareStats("merged", merged, expected.merged);

// 2. Our .hgrm against the reference's percentile distribution of the same log.
function hgrmRows(text) {
  return text.split("\n").filter((l) => l.trim() !== "");
}
const ours = hgrmRows(fs.readFileSync(cHgrm, "utf8"));
const theirs = hgrmRows(merged.outputPercentileDistribution(5, 1000));
check(ours.length === theirs.length, `.hgrm has ${ours.length} lines, reference ${theirs.length}`);
for (let i = 0; i < Math.min(ours.length, theirs.length); i++) {
  const a = ours[i].match(/[-0-9.]+|[A-Za-z/()#\[\]=,-]+/g) || [];
  const b = theirs[i].match(/[-0-9.]+|[A-Za-z/()#\[\]=,-]+/g) || [];
  let same = a.length === b.length;
  for (let k = 0; same && k < a.length; k++) {
    const x = Number(a[k]), y = Number(b[k]);
    if (Number.isNaN(x) || Number.isNaN(y))
      same = a[k] === b[k];
    else // printf and Intl may round a last digit differently
      same = Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(y)) + 0.0011;
  }
  check(same, `.hgrm line ${i + 1}:\n  ours:      ${ours[i]}\n  reference: ${theirs[i]}`);
  if (!same)
    break;
}
// Fixed-width columns: the header and the first row must match as text.
check(ours[0] === "       Value     Percentile TotalCount 1/(1-Percentile)", `header: '${ours[0]}'`);
check(ours[0] === theirs[0], "header differs from the reference's");

// 3. A log written by the reference, for the C side to read.
const out = [];
const writer = new hdr.HistogramLogWriter((s) => out.push(s));
writer.outputLogFormatVersion();
writer.outputStartTime(1763769600000);
writer.outputLegend();
const all = hdr.build({ bitBucketSize: 64, lowestDiscernibleValue: 1,
                        highestTrackableValue: 3600e9, numberOfSignificantValueDigits: 3 });
let seed = 7;
function rand() { // LCG: deterministic without dependencies
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return (seed + 0.5) / 2147483648;
}
for (let i = 0; i < 4; i++) {
  const h = hdr.build({ bitBucketSize: 64, lowestDiscernibleValue: 1,
                        highestTrackableValue: 3600e9, numberOfSignificantValueDigits: 3 });
  for (let n = 0; n < 5000; n++)
    h.recordValue(Math.floor(-Math.log(rand()) * 1e6 * (i + 1)) + 1);
  writer.outputIntervalHistogram(h, i, i + 1, 1e6);
  all.add(h);
}
fs.writeFileSync(jsLog, out.join(""));
fs.writeFileSync(jsExpected, [all.totalCount, all.minNonZeroValue, all.maxValue,
  all.getValueAtPercentile(50), all.getValueAtPercentile(99), all.getValueAtPercentile(99.9)].join(" ") + "\n");

if (failures) {
  console.error(`conformance.js: ${failures} check(s) failed`);
  process.exit(1);
}
console.log(`conformance.js: ${intervals} intervals and ${ours.length} .hgrm lines agree with hdr-histogram-js`);
