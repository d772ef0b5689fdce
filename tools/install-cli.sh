#!/usr/bin/env bash
# Publishes the `electralab` command (Release) and puts it on PATH as ~/.local/bin/electralab (PREFIX to change).
# A published build starts in a fraction of a second; `dotnet run --project Cli --` rebuilds and costs ~20 s a call.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
prefix="${PREFIX:-$HOME/.local}"
target="$prefix/share/electralab/cli"
dotnet publish "$root/Cli" -c Release -o "$target" --nologo -v quiet
mkdir -p "$prefix/bin"
ln -sf "$target/electralab" "$prefix/bin/electralab"
echo "installed $prefix/bin/electralab -> $target/electralab"
case ":$PATH:" in *":$prefix/bin:"*) ;; *) echo "add $prefix/bin to PATH, e.g. echo 'export PATH=\"$prefix/bin:\$PATH\"' >> ~/.bashrc" ;; esac
