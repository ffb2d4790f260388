# Sourced by scripts/bench/*: builds SluiceBench and the `sluice` binary a benchmark measures.
#
#   bench_build image    the binary the image ships (Dockerfile): release, the Swift runtime and
#                        Foundation linked in statically (--static-swift-stdlib, in .build-static),
#                        debug information stripped. The default.
#   bench_build dynamic  the development build (.build/release, the Swift libraries shared)
#   bench_build debug    the debug build
#
# Sets BENCH_TOOL (SluiceBench) and BENCH_SLUICE (sluice, an absolute path) and prints which it is.
bench_build() {
  case "${1:-image}" in
    dynamic)
      swift build -c release --product SluiceBench >/dev/null
      swift build -c release --product sluice >/dev/null
      BENCH_TOOL=.build/release/SluiceBench
      BENCH_SLUICE="$PWD/.build/release/sluice"
      ;;
    debug)
      swift build --product SluiceBench >/dev/null
      swift build --product sluice >/dev/null
      BENCH_TOOL=.build/debug/SluiceBench
      BENCH_SLUICE="$PWD/.build/debug/sluice"
      ;;
    image)
      # The Dockerfile's commands; SluiceBench shares the build directory (the same objects).
      # Function sections let the link order the code (Docs/agent.md, "The symbol-ordering file").
      local sections=(-Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections)
      swift build -c release --product sluice --static-swift-stdlib "${sections[@]}" --scratch-path .build-static >/dev/null
      swift build -c release --product SluiceBench --static-swift-stdlib "${sections[@]}" --scratch-path .build-static >/dev/null
      install -m 0755 .build-static/release/sluice .build-static/sluice-image
      strip --strip-debug .build-static/sluice-image
      BENCH_TOOL=.build-static/release/SluiceBench
      BENCH_SLUICE="$PWD/.build-static/sluice-image"
      ;;
    *)
      echo "bench_build: unknown build '$1' (image, dynamic or debug)" >&2
      return 2
      ;;
  esac
  echo "sluice: $BENCH_SLUICE ($(du -m "$BENCH_SLUICE" | cut -f1) MB, $1 build)"
}

# Splits a benchmark's arguments: --dynamic and --debug choose the build (BENCH_BUILD), the rest
# are kept in BENCH_ARGS.
bench_arguments() {
  BENCH_BUILD=image
  BENCH_ARGS=()
  for argument in "$@"; do
    case "$argument" in
      --dynamic) BENCH_BUILD=dynamic ;;
      --debug) BENCH_BUILD=debug ;;
      *) BENCH_ARGS+=("$argument") ;;
    esac
  done
}
