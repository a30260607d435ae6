#!/usr/bin/env bash
# Writes assets/objects/: drawn pictures of four objects a user might teach
# (a patterned mug, a book with a coloured cover, a key ring, a bottle) and of
# six other things, each object rendered several ways (scale, crop, light,
# background, small rotation, where it stands in the frame), plus MANIFEST,
# one line per picture: FILE OBJECT ROLE POSITION, where ROLE is "teach"
# (close-ups to teach from), "scene" (the object somewhere in a room-like
# picture; POSITION is left, centre or right) or "other" (another object:
# nothing taught may be recognised). Deterministic (seeded noise); needs
# ImageMagick 6 and the DejaVu fonts. Usage: scripts/make-object-samples.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=assets/objects
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
font=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf
W=240 H=180

# ---- the objects, drawn once on a transparent 200x200 canvas ----
sprite() { convert -size 200x200 xc:none "$@" "$tmp/$name.png"; }

name=mug
convert -size 110x130 pattern:checkerboard -fill '#1f4fbf' -colorize 60% \
  \( -size 110x130 xc:none -fill '#ffd400' -draw 'circle 30,40 40,40 circle 80,90 90,90 circle 75,30 83,30 circle 30,100 38,100' \) \
  -composite "$tmp/mugbody.png"
sprite -fill '#1f4fbf' -stroke '#0c2466' -strokewidth 6 -draw 'ellipse 150,100 30,34 0,360' \
  -fill none -stroke none \
  -draw "image over 30,35 110,130 '$tmp/mugbody.png'" \
  -fill '#0c2466' -draw 'ellipse 85,35 55,10 0,360'
name=book
sprite -fill '#c81e1e' -stroke '#5a0a0a' -strokewidth 4 -draw 'rectangle 45,15 155,185' \
  -fill '#f2e6c8' -stroke none -draw 'rectangle 55,40 145,90' \
  -fill '#14508c' -draw 'rectangle 55,120 145,170' \
  -font "$font" -pointsize 22 -fill '#5a0a0a' -annotate +60+73 'POEMS' \
  -fill '#f2e6c8' -draw 'polygon 100,128 120,160 80,160'
name=keys
sprite -fill none -stroke '#b0b0b8' -strokewidth 7 -draw 'circle 70,70 70,30' \
  -stroke '#c9a227' -strokewidth 12 -draw 'line 95,95 165,165' \
  -fill '#c9a227' -stroke none -draw 'rectangle 150,150 175,160 rectangle 140,160 160,172' \
  -draw 'circle 95,95 95,75' -fill '#b0b0b8' -draw 'circle 95,95 95,88' \
  -stroke '#909098' -strokewidth 10 -draw 'line 60,105 40,175' \
  -fill '#e03c8c' -stroke none -draw 'roundrectangle 20,20 60,50 8,8'
name=bottle
sprite -fill '#1e8c3c' -stroke '#0a4a1c' -strokewidth 3 \
  -draw 'roundrectangle 65,70 135,190 15,15 rectangle 88,20 112,75' \
  -fill '#e6e6e6' -stroke none -draw 'rectangle 88,10 112,24' \
  -fill '#f5f0dc' -draw 'rectangle 66,105 134,150' \
  -fill '#d22828' -draw 'circle 100,127 100,115'
# other things nothing should be taken for
name=apple
sprite -fill '#d8262e' -draw 'circle 100,110 100,45' -fill '#5a3a1a' -draw 'rectangle 97,30 103,55' \
  -fill '#3ca03c' -draw 'ellipse 118,45 18,8 0,360'
name=plant
sprite -fill '#b4643c' -draw 'polygon 65,120 135,120 125,190 75,190' \
  -fill '#2d8c2d' -draw 'ellipse 100,80 25,45 0,360 ellipse 70,90 15,35 0,360 ellipse 130,90 15,35 0,360'
name=phone
sprite -fill '#202020' -draw 'roundrectangle 60,20 140,180 12,12' -fill '#3c78c8' -draw 'rectangle 68,35 132,160' \
  -fill '#ffffff' -draw 'rectangle 76,45 124,60 rectangle 76,70 110,80'
name=shoe
sprite -fill '#7a4a24' -draw 'polygon 20,150 20,110 70,100 110,70 140,80 180,140 180,165 20,165' \
  -fill '#ffffff' -draw 'line 80,100 100,110 line 90,90 110,100' -fill '#2a1a0a' -draw 'rectangle 20,160 180,170'
name=lamp
sprite -fill '#f0dc50' -draw 'polygon 60,30 140,30 165,100 35,100' -fill '#404040' -draw 'rectangle 95,100 105,170 rectangle 60,170 140,180'
name=cup
sprite -fill '#e8e8e8' -stroke '#a0a0a0' -strokewidth 4 -draw 'polygon 50,50 150,50 135,180 65,180' \
  -fill '#8c5a2d' -stroke none -draw 'ellipse 100,52 48,8 0,360'

# ---- backgrounds ----
bg() { # NAME: a W x H picture in $tmp/bg-NAME.png
  case $1 in
    wood) convert -size ${W}x${H} xc:'#8a5a30' -seed 7 +noise Multiplicative -motion-blur 0x12+0 "$tmp/bg-wood.png" ;;
    wall) convert -size ${W}x${H} xc:'#ece8e0' -seed 3 +noise Gaussian -blur 0x1 "$tmp/bg-wall.png" ;;
    cloth) convert -size ${W}x${H} xc:'#2c3454' -seed 5 +noise Impulse -blur 0x0.7 "$tmp/bg-cloth.png" ;;
    tiles) convert -size ${W}x${H} pattern:checkerboard -fill '#9cb0a0' -colorize 70% "$tmp/bg-tiles.png" ;;
    grey) convert -size ${W}x${H} gradient:'#b8b8b8-#707070' "$tmp/bg-grey.png" ;;
  esac
}
for b in wood wall cloth tiles grey; do bg $b; done

manifest="$out/MANIFEST"
echo "# FILE OBJECT ROLE POSITION (made by scripts/make-object-samples.sh)" > "$manifest"

# render OBJECT FILE ROLE BG SIZE CX CY ANGLE BRIGHTNESS [POSITION]
# SIZE: the object's height in pixels; CX, CY: its centre; BRIGHTNESS: a
# -modulate percentage (the light).
render() {
  local obj=$1 file=$2 role=$3 b=$4 size=$5 cx=$6 cy=$7 angle=$8 light=$9 pos=${10:--}
  local x=$((cx - size / 2)) y=$((cy - size / 2))
  convert "$tmp/bg-$b.png" -type TrueColor \( "$tmp/$obj.png" -background none -rotate "$angle" \
      -resize "${size}x${size}" \) -geometry "+$x+$y" -composite \
    -modulate "$light" -quality 88 -strip "$out/$file"
  echo "$file $obj $role $pos" >> "$manifest"
}

for obj in mug book keys bottle; do
  # close-ups to teach from: the object fills most of the picture
  render $obj $obj-teach1.jpg teach wall 170 120 90 0 100
  render $obj $obj-teach2.jpg teach wood 160 125 92 -6 95
  render $obj $obj-teach3.jpg teach grey 165 115 88 5 108
  # scenes: smaller, elsewhere in the frame, other backgrounds and light
  render $obj $obj-left.jpg scene tiles 100 55 95 4 100 left
  render $obj $obj-centre-dim.jpg scene cloth 110 120 85 -3 70 centre
  render $obj $obj-right.jpg scene wood 105 185 90 8 110 right
  render $obj $obj-right-bright.jpg scene wall 95 180 100 -8 125 right
  render $obj $obj-left-crop.jpg scene grey 150 60 80 2 90 left
done
for obj in apple plant phone shoe lamp cup; do
  render $obj other-$obj-1.jpg other wall 110 120 90 0 100
  render $obj other-$obj-2.jpg other tiles 100 60 95 5 95
done
# the empty backgrounds: nothing at all in view
for b in wood cloth; do
  convert "$tmp/bg-$b.png" -quality 88 -strip "$out/empty-$b.jpg"
  echo "empty-$b.jpg none other -" >> "$manifest"
done
