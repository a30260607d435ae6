#!/usr/bin/env bash
# Make the sample pictures in assets/samples/: text a blind user meets (a street
# sign, a medicine box, a menu, a letter, a receipt), degraded copies of them
# (perspective, blur, noise, rotation, coloured paper, uneven light) and a photo
# with no text. Each NAME.png/.jpg has NAME.txt with the text it shows; MANIFEST
# says which pictures are clean, degraded or hold no text, which sets the
# character error rate the OCR test allows.
#
# Deterministic: fixed fonts (DejaVu, fonts-dejavu-core), fixed noise seeds, no
# timestamps in the files. Needs ImageMagick 6 (convert).
set -euo pipefail
cd "$(dirname "$0")/.."
out=assets/samples
fonts=/usr/share/fonts/truetype/dejavu
sans=$fonts/DejaVuSans.ttf
sans_bold=$fonts/DejaVuSans-Bold.ttf
serif=$fonts/DejaVuSerif.ttf
mono=$fonts/DejaVuSansMono.ttf
mono_bold=$fonts/DejaVuSansMono-Bold.ttf
for f in "$sans" "$sans_bold" "$serif" "$mono" "$mono_bold"; do
  [ -r "$f" ] || { echo "make-samples: $f is missing (install fonts-dejavu-core)" >&2; exit 1; }
done
command -v convert >/dev/null || { echo "make-samples: convert is missing (install imagemagick)" >&2; exit 1; }

mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 8-bit output without dates or other metadata, so a rerun gives the same bytes.
finish_png() { convert "$1" -strip -depth 8 -define png:exclude-chunks=date,time "$2"; }
finish_jpg() { convert "$1" -strip -depth 8 -sampling-factor 2x2 -quality "${3:-80}" "$2"; }

manifest=()
expect() { # name class text...
  local name=$1 class=$2
  shift 2
  if (($#)); then printf "%s\n" "$@"; fi > "$out/${name%.*}.txt"
  manifest+=("$name $class")
}

# draw_lines CANVAS_ARGS... -- then lines as "font|size|x|y|gravity|colour|text"
# (kept simple: every line is one -annotate).
annotate_args() {
  local spec font size x y gravity colour text
  args=()
  for spec in "$@"; do
    IFS='|' read -r font size x y gravity colour text <<<"$spec"
    args+=(-font "$font" -pointsize "$size" -fill "$colour" -gravity "$gravity"
           -annotate "+$x+$y" "$text")
  done
}

# --- street sign: white on green, big letters -------------------------------
sign_lines=(
  "$sans_bold|46|0|34|North|white|MAIN STREET"
  "$sans|30|0|100|North|white|Airport 12 km"
)
annotate_args "${sign_lines[@]}"
convert -size 480x170 xc:'#0b6e3a' -fill none -stroke white -strokewidth 4 \
  -draw 'roundrectangle 8,8 471,161 14,14' -stroke none "${args[@]}" "$tmp/sign.png"
finish_png "$tmp/sign.png" "$out/street-sign.png"
expect street-sign.png clean "MAIN STREET" "Airport 12 km"

# The same sign photographed: on a wall, seen at an angle, soft, noisy, JPEG.
convert -size 640x360 xc:'#8a8178' -seed 11 -attenuate 0.6 +noise Gaussian -blur 0x2 \
  "$tmp/wall.png"
convert "$tmp/sign.png" -alpha set -virtual-pixel transparent -background none \
  -distort Perspective '0,0 20,12  479,0 460,30  479,169 455,150  0,169 25,165' \
  "$tmp/sign-warp.png"
convert "$tmp/wall.png" "$tmp/sign-warp.png" -geometry +70+90 -composite \
  -blur 0x1.1 -seed 12 -attenuate 0.5 +noise Gaussian "$tmp/sign-photo.png"
finish_jpg "$tmp/sign-photo.png" "$out/street-sign-photo.jpg" 75
expect street-sign-photo.jpg degraded "MAIN STREET" "Airport 12 km"

# --- medicine box label: small print ----------------------------------------
label_text=(
  "PARACETAMOL 500 mg"
  "20 film-coated tablets"
  "Adults and children over 12 years:"
  "take 1 or 2 tablets every 4 to 6 hours."
  "Do not take more than 8 tablets in 24 hours."
  "Keep out of the sight and reach of children."
)
label_lines=("$sans_bold|22|16|14|NorthWest|#1a237e|${label_text[0]}"
             "$sans|15|16|46|NorthWest|black|${label_text[1]}")
for i in 2 3 4 5; do
  label_lines+=("$sans|13|16|$((80 + (i - 2) * 22))|NorthWest|black|${label_text[$i]}")
done
annotate_args "${label_lines[@]}"
convert -size 420x180 xc:white -fill '#1a237e' -draw 'rectangle 0,0 6,179' "${args[@]}" \
  "$tmp/label.png"
finish_png "$tmp/label.png" "$out/medicine-label.png"
expect medicine-label.png clean "${label_text[@]}"

# The label out of focus and grainy (a hand-held phone in a dim room).
convert "$tmp/label.png" -blur 0x0.9 -seed 21 -attenuate 0.7 +noise Gaussian \
  "$tmp/label-soft.png"
finish_jpg "$tmp/label-soft.png" "$out/medicine-label-blurred.jpg" 85
expect medicine-label-blurred.jpg degraded "${label_text[@]}"

# --- restaurant menu: items left, prices right ------------------------------
menu_items=("Tomato soup|4.50" "Caesar salad|7.90" "Grilled chicken|12.50"
            "Vegetable curry|10.90" "Apple pie|5.20" "Coffee|2.80")
menu_lines=("$serif|30|0|16|North|#5d2e0c|Lunch Menu")
menu_expect=("Lunch Menu")
i=0
for item in "${menu_items[@]}"; do
  y=$((76 + i * 38))
  menu_lines+=("$sans|19|30|$y|NorthWest|#222222|${item%%|*}"
               "$sans|19|30|$y|NorthEast|#222222|${item##*|}")
  menu_expect+=("${item%%|*} ${item##*|}")
  i=$((i + 1))
done
annotate_args "${menu_lines[@]}"
convert -size 440x320 xc:'#fdf6e3' "${args[@]}" "$tmp/menu.png"
finish_png "$tmp/menu.png" "$out/menu.png"
expect menu.png clean "${menu_expect[@]}"

# The menu on orange card, slightly turned and grainy.
convert -size 440x320 xc:'#f6b26b' "${args[@]}" -background '#f6b26b' -rotate 2.5 \
  -gravity center -extent 460x340 -seed 31 -attenuate 0.4 +noise Gaussian \
  "$tmp/menu-rot.png"
finish_jpg "$tmp/menu-rot.png" "$out/menu-rotated.jpg" 85
expect menu-rotated.jpg degraded "${menu_expect[@]}"

# --- a letter: serif paragraphs ----------------------------------------------
letter_text=(
  "Dear Mrs Taylor,"
  "Your appointment at the eye clinic is on"
  "Tuesday 14 May at 10:30 in room 3B."
  "Please bring this letter and a list of"
  "the medicines you take."
  "If you cannot come, call us on 0161 496 0825."
  "Yours sincerely,"
  "Dr Anna Clarke"
)
letter_lines=()
ys=(20 62 88 114 140 178 216 242)
for i in "${!letter_text[@]}"; do
  letter_lines+=("$serif|16|24|${ys[$i]}|NorthWest|black|${letter_text[$i]}")
done
annotate_args "${letter_lines[@]}"
convert -size 480x280 xc:white "${args[@]}" "$tmp/letter.png"
finish_png "$tmp/letter.png" "$out/letter.png"
expect letter.png clean "${letter_text[@]}"

# The letter photographed on a table: perspective, light falling off to one
# side, soft focus.
convert "$tmp/letter.png" -virtual-pixel background -background '#5b4a3a' \
  -distort Perspective '0,0 18,10  479,0 470,0  479,279 476,279  0,279 8,270' \
  \( -size 480x280 gradient:'#ffffff-#9a9a9a' -rotate 90 -resize 480x280! \) \
  -compose multiply -composite -blur 0x0.7 -seed 41 -attenuate 0.4 +noise Gaussian \
  "$tmp/letter-photo.png"
finish_jpg "$tmp/letter-photo.png" "$out/letter-photo.jpg" 80
expect letter-photo.jpg degraded "${letter_text[@]}"

# --- a receipt: monospace, prices in a column --------------------------------
receipt_items=("Milk 1L|1.19" "Bread|2.35" "Bananas|1.80" "Cheddar cheese|3.49"
               "Eggs x12|2.99" "TOTAL|11.82")
receipt_lines=("$mono_bold|20|0|14|North|black|CORNER GROCERY")
receipt_expect=("CORNER GROCERY")
i=0
for item in "${receipt_items[@]}"; do
  y=$((56 + i * 28))
  [ "${item%%|*}" = TOTAL ] && y=$((y + 12))
  receipt_lines+=("$mono|16|18|$y|NorthWest|black|${item%%|*}"
                  "$mono|16|18|$y|NorthEast|black|${item##*|}")
  receipt_expect+=("${item%%|*} ${item##*|}")
  i=$((i + 1))
done
annotate_args "${receipt_lines[@]}"
convert -size 300x260 xc:white "${args[@]}" -fill none -stroke black \
  -draw 'line 18,199 281,199' "$tmp/receipt.png"
finish_png "$tmp/receipt.png" "$out/receipt.png"
expect receipt.png clean "${receipt_expect[@]}"

# Thermal paper: faded grey print on beige, turned the other way, grainy.
convert "$tmp/receipt.png" +level-colors '#4a4a4a,#efe6d2' -background '#efe6d2' \
  -rotate -2 -blur 0x0.6 -seed 51 -attenuate 0.5 +noise Gaussian "$tmp/receipt-faded.png"
finish_jpg "$tmp/receipt-faded.png" "$out/receipt-faded.jpg" 85
expect receipt-faded.jpg degraded "${receipt_expect[@]}"

# --- a photo with no text: soft colour clouds and shapes ---------------------
convert -size 320x240 -seed 61 plasma:'#3a7bd5-#e8c07d' -blur 0x3 \
  -fill '#2e7d32' -draw 'ellipse 90,190 80,40 0,360' \
  -fill '#795548' -draw 'rectangle 220,90 250,220' \
  -fill '#81c784' -draw 'circle 235,80 235,30' \
  -seed 62 -attenuate 0.3 +noise Gaussian "$tmp/photo.png"
finish_jpg "$tmp/photo.png" "$out/garden-photo.jpg" 80
expect garden-photo.jpg notext

{
  echo "# picture class (clean: CER <= 5%, degraded: CER <= 15%, notext: no text read)"
  printf '%s\n' "${manifest[@]}"
} > "$out/MANIFEST"
echo "make-samples: wrote ${#manifest[@]} pictures to $out" >&2
