// Runs the four MediaPipe hand models through TensorFlow Lite itself (the
// WebAssembly build in @tensorflow/tfjs-tflite, XNNPACK delegate, 1 thread)
// and records every output tensor, so that the C tests can check our
// interpreter against it without Node.
//
// usage: node reference.js WASM_DIR MODELS_DIR FIXTURES_DIR
//   WASM_DIR     the package's wasm/ folder (tflite_web_api_cc.js and .wasm)
//   MODELS_DIR   the installed .tflite files (scripts/fetch-hand-models.sh)
//   FIXTURES_DIR holds NAME.ppm inputs (224x224 RGB, binary PPM); gets
//                MODEL.NAME.outK.f32 (little-endian float32, the tensor's
//                elements in order) for every model and output K.
//
// The model inputs are derived from the 8-bit pictures with arithmetic that
// is exact in float32, so the C test builds bit-identical tensors:
//   224x224 models (landmarks): v = u8 / 256
//   192x192 models (palms):     nearest pixel (sx = x * 224 / 192, integer
//                               division), then v = (u8 - 128) / 128
'use strict';
const fs = require('fs');
const path = require('path');
const vm = require('vm');

const [wasmDir, modelsDir, fixturesDir] = process.argv.slice(2);
if (!fixturesDir) {
  console.error('usage: node reference.js WASM_DIR MODELS_DIR FIXTURES_DIR');
  process.exit(2);
}

const MODELS = ['hand_landmark_full', 'hand_landmark_lite', 'palm_detection_full',
                'palm_detection_lite'];

function readPpm(file) {
  const buf = fs.readFileSync(file);
  // P6\n<w> <h>\n255\n<pixels>: the files are written by make-fixtures.sh.
  const header = buf.subarray(0, 64).toString('latin1');
  const m = header.match(/^P6\s+(\d+)\s+(\d+)\s+255\s/);
  if (!m) throw new Error(file + ': not an 8-bit binary PPM');
  const w = +m[1], h = +m[2];
  const pixels = buf.subarray(m[0].length);
  if (w !== 224 || h !== 224 || pixels.length !== w * h * 3)
    throw new Error(file + ': expected 224x224 RGB');
  return pixels;
}

function inputTensor(pixels, size) {
  const out = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const sy = size === 224 ? y : Math.floor(y * 224 / size);
      const sx = size === 224 ? x : Math.floor(x * 224 / size);
      for (let c = 0; c < 3; c++) {
        const u = pixels[(sy * 224 + sx) * 3 + c];
        out[(y * size + x) * 3 + c] = size === 224 ? u / 256 : (u - 128) / 128;
      }
    }
  }
  return out;
}

async function loadRuntime() {
  const src = fs.readFileSync(path.join(wasmDir, 'tflite_web_api_cc.js'), 'utf8');
  // The Emscripten glue only knows browsers; run it in a bare context and hand
  // it the WebAssembly binary directly.
  const ctx = { console, WebAssembly, performance, TextDecoder, TextEncoder, setTimeout,
                clearTimeout, URL };
  vm.createContext(ctx);
  vm.runInContext(src + '\nthis.factory = tflite_web_api_ModuleFactory;', ctx);
  return ctx.factory({ wasmBinary: fs.readFileSync(path.join(wasmDir, 'tflite_web_api_cc.wasm')) });
}

function vectorToArray(v) {
  const out = [];
  for (let i = 0; i < v.size(); i++) out.push(v.get(i));
  return out;
}

(async () => {
  const M = await loadRuntime();
  const images = fs.readdirSync(fixturesDir).filter(f => f.endsWith('.ppm')).sort();
  if (!images.length) throw new Error(fixturesDir + ': no .ppm pictures');
  for (const model of MODELS) {
    const bytes = fs.readFileSync(path.join(modelsDir, model + '.tflite'));
    const ptr = M._malloc(bytes.length);
    M.HEAPU8.set(bytes, ptr);
    const status = M.TFLiteWebModelRunner.CreateFromBufferAndOptions(ptr, bytes.length, {
      numThreads: 1, enableProfiling: false, maxProfilingBufferEntries: 1024 });
    if (!status.ok()) throw new Error(model + ': ' + status.errorMessage());
    const runner = status.value();
    const inputs = vectorToArray(runner.GetInputs());
    const outputs = vectorToArray(runner.GetOutputs());
    const size = String(inputs[0].shape).split(',').map(Number)[1];
    for (const image of images) {
      const name = image.replace(/\.ppm$/, '');
      const data = inputTensor(readPpm(path.join(fixturesDir, image)), size);
      inputs[0].data().set(data);
      if (!runner.Infer()) throw new Error(model + ': inference failed');
      outputs.forEach((t, k) => {
        const values = Float32Array.from(t.data());
        const file = path.join(fixturesDir, `${model}.${name}.out${k}.f32`);
        fs.writeFileSync(file, Buffer.from(values.buffer));
        console.log(`${model} ${name} out${k} ${t.name} [${t.shape}] -> ${path.basename(file)}`);
      });
    }
    runner.delete();
    M._free(ptr);
  }
})().catch(e => { console.error(e.stack || String(e)); process.exit(1); });
