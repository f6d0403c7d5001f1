#!/usr/bin/env bash
# Builds sqld (the libSQL server, MIT) at one pinned commit and caches the binary outside the repository:
#   ${GATEHOUSE_CACHE:-~/.cache/gatehouse}/sqld/<commit>/sqld
# sqld is in no package registry, so it is built from the public source of tursodatabase/libsql. See docs/scaling.md.
#
#   scripts/build-sqld.sh            build (or reuse the cached binary) and print its path on the last line
#   scripts/build-sqld.sh --path     print where the binary is (or would be) and exit 0 if it is there
#
# Two ways, tried in order:
#   1. GitHub reachable: a plain pinned `cargo install --git … --rev <commit> --locked`.
#   2. Local bare mirrors (GATEHOUSE_GIT_MIRRORS, a folder of owner+name/repo git directories): the source is checked
#      out from the mirror, the three git dependencies of Cargo.lock are redirected to their mirrors with git
#      `insteadOf` (in a private git config, so Cargo.lock and the user's git config stay untouched), and when the
#      mirror lacks the large sqlite3.c amalgamation blobs, the identical file is taken from the crates.io crate
#      libsql-ffi 0.10.0 (checked against the blob hash the commit records).
# About 20 minutes on 2 cores; run it niced when the machine is shared (`nice -n 19 scripts/build-sqld.sh`).
set -euo pipefail

SQLD_COMMIT=f8fb14f3638e44edf3dbace489618c7768daee55 # sqld 0.24.33
SQLITE_AMALGAMATION_BLOB=62a917fb9bef09786a753a0a92fd590f80a62421
SQLITE_AMALGAMATION_CRATE=libsql-ffi@0.10.0
cache_root=${GATEHOUSE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gatehouse}
out_dir=$cache_root/sqld/$SQLD_COMMIT
binary=$out_dir/sqld
mirrors=${GATEHOUSE_GIT_MIRRORS:-/work/.mirror}

say() { printf '==> build-sqld: %s\n' "$*" >&2; }

if [ "${1:-}" = "--path" ]; then
  echo "$binary"
  [ -x "$binary" ]
  exit
fi
if [ -x "$binary" ]; then
  say "cached: $binary"
  echo "$binary"
  exit 0
fi
command -v cargo >/dev/null || { say "cargo is missing (Debian: apt-get install cargo rustc)"; exit 1; }
# The libsql workspace compiles C (sqlite3.c) and C++ pieces with cc.
for tool in cc c++ git; do command -v "$tool" >/dev/null || { say "$tool is missing"; exit 1; }; done
mkdir -p "$out_dir"
export CARGO_TARGET_DIR=$out_dir/target
# One lock per commit: two test runs starting together build once.
exec 9>"$out_dir/.lock"
flock 9
if [ -x "$binary" ]; then echo "$binary"; exit 0; fi

if timeout 15 git ls-remote https://github.com/tursodatabase/libsql HEAD >/dev/null 2>&1; then
  say "GitHub reachable: cargo install --git at $SQLD_COMMIT"
  cargo install --git https://github.com/tursodatabase/libsql --rev "$SQLD_COMMIT" --locked \
    --root "$out_dir/install" libsql-server --bin sqld
  install -m 0755 "$out_dir/install/bin/sqld" "$binary"
  echo "$binary"
  exit 0
fi

mirror_of() { echo "$mirrors/${1/\//+}/repo"; }
libsql_mirror=$(mirror_of tursodatabase/libsql)
[ -d "$libsql_mirror" ] || { say "no source: GitHub unreachable and no mirror at $libsql_mirror"; exit 1; }
git --git-dir="$libsql_mirror" cat-file -e "$SQLD_COMMIT^{commit}" 2>/dev/null \
  || { say "the mirror $libsql_mirror lacks commit $SQLD_COMMIT"; exit 1; }

src=$out_dir/src
if [ ! -f "$src/.gatehouse-checked-out" ]; then
  rm -rf "$src"
  git clone --quiet --shared --no-checkout "$libsql_mirror" "$src"
  # Leave out every blob the (partial) mirror lacks: test data, and the amalgamations restored below.
  missing=$(git --git-dir="$libsql_mirror" ls-tree -r "$SQLD_COMMIT" \
    | awk '$2 == "blob" { print $3 " " $4 }' \
    | while read -r hash path; do
        git --git-dir="$libsql_mirror" cat-file -e "$hash" 2>/dev/null || echo "!/$path"
      done)
  git -C "$src" sparse-checkout set --no-cone '/*' $missing
  git -C "$src" -c advice.detachedHead=false checkout --quiet "$SQLD_COMMIT"
  touch "$src/.gatehouse-checked-out"
fi

# The sqlite3.c amalgamation: identical in libsql-ffi 0.10.0 on crates.io; fetched through cargo (the ordinary client).
for path in libsql-ffi/bundled/src/sqlite3.c libsql-ffi/bundled/SQLite3MultipleCiphers/src/sqlite3.c; do
  [ -f "$src/$path" ] && continue
  crate_dir=$out_dir/amalgamation
  if [ ! -f "$crate_dir/vendor/libsql-ffi/bundled/src/sqlite3.c" ]; then
    say "taking sqlite3.c from the crate $SQLITE_AMALGAMATION_CRATE"
    rm -rf "$crate_dir" && mkdir -p "$crate_dir/src"
    printf '[package]\nname = "amalgamation"\nversion = "0.0.0"\nedition = "2021"\n[dependencies]\nlibsql-ffi = "=%s"\n' \
      "${SQLITE_AMALGAMATION_CRATE#*@}" >"$crate_dir/Cargo.toml"
    touch "$crate_dir/src/lib.rs"
    (cd "$crate_dir" && cargo vendor --quiet vendor >/dev/null)
  fi
  candidate=$crate_dir/vendor/libsql-ffi/${path#libsql-ffi/}
  [ -f "$candidate" ] || candidate=$crate_dir/vendor/libsql-ffi/bundled/src/sqlite3.c
  got=$(git hash-object "$candidate")
  want=$(git --git-dir="$libsql_mirror" rev-parse "$SQLD_COMMIT:$path")
  [ "$got" = "$want" ] || { say "$candidate is blob $got, the commit wants $want"; exit 1; }
  mkdir -p "$(dirname "$src/$path")"
  cp "$candidate" "$src/$path"
done

# Cargo.lock names three git dependencies; redirect each to its mirror without touching Cargo.lock.
gitconfig=$out_dir/gitconfig
: >"$gitconfig"
for repo in rustls/hyper-rustls MarinPostma/rheaper tokio-rs/console; do
  m=$(mirror_of "$repo")
  [ -d "$m" ] || { say "no mirror of $repo at $m"; exit 1; }
  # Cargo asks for …/name.git; the longer prefix wins, so the suffix is not glued onto the mirror's path.
  git config --file "$gitconfig" --add "url.file://$m.insteadOf" "https://github.com/$repo.git"
  git config --file "$gitconfig" --add "url.file://$m.insteadOf" "https://github.com/$repo"
done
export GIT_CONFIG_GLOBAL=$gitconfig
export CARGO_NET_GIT_FETCH_WITH_CLI=true # the git command line honours insteadOf
# The repository pins an older toolchain (rust-toolchain.toml); the installed stable one builds it too.
export RUSTUP_TOOLCHAIN=${RUSTUP_TOOLCHAIN:-stable}
say "building sqld from $src (cargo $(cargo --version | cut -d' ' -f2)); target dir $CARGO_TARGET_DIR"
(cd "$src" && cargo build --release --locked -p libsql-server --bin sqld)
install -m 0755 "$CARGO_TARGET_DIR/release/sqld" "$binary"
say "built $binary"
echo "$binary"
