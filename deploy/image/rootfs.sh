#!/usr/bin/env bash
# The root filesystem under the application in the image that `./mvnw -Pimage package` builds with Jib
# (docs/DEPLOYMENT.md, "Build the image without Docker"). No base image is pulled from a registry: the image starts
# FROM scratch and this script assembles, from the build machine,
#   /opt/java                          a Java runtime jlinked from the JDK running the build (JDK 25)
#   /lib64, /usr/lib                   the shared libraries that runtime and PocketSphinx load (glibc and
#                                      friends), copied from the machine's Debian packages, with their
#                                      copyright files under /usr/share/doc
#   /usr/share/pocketsphinx/model      PocketSphinx's US English model (the default recogniser)
#   /usr/lib/<arch>/libflite*.so.1     Flite and its voices (the default speech synthesiser, loaded through JNA)
#   /usr/bin/espeak-ng, espeak-ng-data espeak-ng, the second synthesiser (tts.engines)
#   /etc/passwd, /etc/group            the user the image runs as (switchboard, uid/gid 10001)
#   /tmp                               writable by anyone (Kubernetes mounts an emptyDir over it)
# The same machine packages give the same files: the image is as reproducible as the machine's package set.
#
#   usage: rootfs.sh JDK_HOME OUTPUT_DIR
set -euo pipefail

jdk="$1"
out="$2"
arch_libs=/usr/lib/x86_64-linux-gnu

for needed in "$arch_libs/libpocketsphinx.so.3" /usr/share/pocketsphinx/model/en-us "$arch_libs/libflite.so.1" \
  /usr/bin/espeak-ng "$arch_libs/espeak-ng-data"; do
  [ -e "$needed" ] || { echo "rootfs.sh: $needed is missing; run ./switchboard setup (libpocketsphinx3, pocketsphinx-en-us, libflite1, espeak-ng)" >&2; exit 1; }
done

rm -rf "$out"
mkdir -p "$out"

# What a server JRE has, without the development tools (compiler, jshell, jlink, debugger).
modules=java.se,jdk.unsupported,jdk.crypto.ec,jdk.crypto.cryptoki,jdk.charsets,jdk.localedata,jdk.zipfs
modules+=,jdk.httpserver,jdk.net,jdk.naming.dns,jdk.security.auth,jdk.security.jgss
modules+=,jdk.management,jdk.management.agent,jdk.management.jfr,jdk.jfr,jdk.jcmd,jdk.attach
"$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages \
  --output "$out/opt/java"

# Shared libraries: what the runtime and PocketSphinx link against (ldd lists them transitively), plus the C++
# runtime the native parts of bundled jars (ONNX Runtime for the summariser, Vosk) load from temporary files.
# The desktop libraries (X11, sound) are left out: the image is headless.
objects=("$out/opt/java/bin/java" "$out/opt/java/lib/server/libjvm.so" "$arch_libs/libpocketsphinx.so.3"
  "$arch_libs/libstdc++.so.6" "$arch_libs/libgcc_s.so.1" /usr/bin/espeak-ng)
flite_libs=("$arch_libs"/libflite*.so.1)
objects+=("${flite_libs[@]}")
for so in "$out"/opt/java/lib/*.so; do
  case "$(basename "$so")" in libawt_xawt.so|libsplashscreen.so|libjawt.so|libjsound.so) ;; *) objects+=("$so") ;; esac
done
libs=$( { for o in "${objects[@]}"; do echo "$o"; ldd "$o"; done; } \
  | sed -n -e 's/^[[:space:]]*[^ ]* => \(\/[^ ]*\) .*/\1/p' -e 's/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p' \
  | grep -v "^$out" | sort -u)
libs+=$'\n'"$arch_libs/libpocketsphinx.so.3"$'\n'"$arch_libs/libstdc++.so.6"$'\n'"$arch_libs/libgcc_s.so.1"
libs+=$'\n'"$(printf '%s\n' "${flite_libs[@]}")"
packages=()
for lib in $(echo "$libs" | sort -u); do
  # Debian's /lib is /usr/lib (merged /usr): one copy, where the application looks for PocketSphinx's libraries
  target="$lib"
  case "$lib" in /lib/*) target="/usr$lib" ;; esac
  mkdir -p "$out$(dirname "$target")"
  cp -L "$lib" "$out$target"
  pkg=$( { dpkg -S "$lib" || dpkg -S "$(readlink -f "$lib")" || dpkg -S "${lib#/usr}"; } 2>/dev/null | head -1 | cut -d: -f1) || true
  [ -n "$pkg" ] && packages+=("$pkg")
done

mkdir -p "$out/usr/share/pocketsphinx/model"
cp -rL /usr/share/pocketsphinx/model/en-us "$out/usr/share/pocketsphinx/model/"
packages+=(pocketsphinx-en-us libpocketsphinx3)

mkdir -p "$out/usr/bin"
cp -L /usr/bin/espeak-ng "$out/usr/bin/espeak-ng"
cp -rL "$arch_libs/espeak-ng-data" "$out$arch_libs/"
packages+=(espeak-ng espeak-ng-data libflite1)

for pkg in $(printf '%s\n' "${packages[@]}" | sort -u); do
  if [ -f "/usr/share/doc/$pkg/copyright" ]; then
    mkdir -p "$out/usr/share/doc/$pkg"
    cp -L "/usr/share/doc/$pkg/copyright" "$out/usr/share/doc/$pkg/copyright"
  fi
done
printf '%s\n' "${packages[@]}" | sort -u | while read -r pkg; do
  dpkg-query -W -f='${Package} ${Version}\n' "$pkg"
done > "$out/opt/java/debian-packages.txt"

mkdir -p "$out/etc" "$out/tmp" "$out/home/switchboard" "$out/proc" "$out/dev" "$out/sys"
printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nswitchboard:x:10001:10001:switchboard:/home/switchboard:/usr/sbin/nologin\n' > "$out/etc/passwd"
printf 'root:x:0:\nswitchboard:x:10001:\n' > "$out/etc/group"
