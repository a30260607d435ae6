#!/usr/bin/env bash
# Make the held-out OCR pictures in tests/vision/ocr_heldout/: the same kinds
# of picture as assets/samples (signs, labels, notices, receipts, a page in two
# columns, a photo without text) but with other words, other fonts (condensed,
# bold serif, oblique), other layouts and other damage (rotation of 3-5
# degrees both ways, coloured and uneven backgrounds, noise, blur, JPEG), so
# that the OCR test measures the reader on pictures it was not tuned on.
# Each NAME.png/.jpg has NAME.txt (its text, one line per line) and MANIFEST
# gives its class (clean: CER <= 5%, degraded: CER <= 15%, notext).
#
# Deterministic (fixed seeds, no metadata). Needs ImageMagick 6 and the DejaVu
# fonts (fonts-dejavu-core and fonts-dejavu-extra).
set -euo pipefail
cd "$(dirname "$0")"
out=ocr_heldout
d=/usr/share/fonts/truetype/dejavu
sans=$d/DejaVuSans.ttf
cond=$d/DejaVuSansCondensed.ttf
cond_bold=$d/DejaVuSansCondensed-Bold.ttf
oblique=$d/DejaVuSans-Oblique.ttf
serif=$d/DejaVuSerif.ttf
serif_bold=$d/DejaVuSerif-Bold.ttf
serif_cond=$d/DejaVuSerifCondensed.ttf
mono=$d/DejaVuSansMono.ttf
for f in "$sans" "$cond" "$cond_bold" "$oblique" "$serif" "$serif_bold" "$serif_cond" "$mono"; do
  [ -r "$f" ] || { echo "make-ocr-heldout: $f is missing (fonts-dejavu-extra)" >&2; exit 1; }
done
command -v convert >/dev/null || { echo "make-ocr-heldout: convert is missing (imagemagick)" >&2; exit 1; }
mkdir -p "$out"
rm -f "$out"/*
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

png() { convert "$1" -strip -depth 8 -define png:exclude-chunks=date,time "$out/$2"; }
jpg() { convert "$1" -strip -depth 8 -sampling-factor 2x2 -quality "${3:-82}" "$out/$2"; }
manifest=()
truth() { # file class lines...
  local file=$1 class=$2
  shift 2
  if (($#)); then printf '%s\n' "$@"; fi > "$out/${file%.*}.txt"
  manifest+=("$file $class")
}
# text FONT SIZE COLOUR GRAVITY X Y STRING -> ImageMagick arguments in $draw
draw=()
text() { draw+=(-font "$1" -pointsize "$2" -fill "$3" -gravity "$4" -annotate "+$5+$6" "$7"); }

# --- 1. bus stop sign: light letters on dark blue, condensed bold ---------------
draw=()
text "$cond_bold" 52 white North 0 26 "BUS STOP"
text "$cond" 28 '#ffe082' North 0 100 "Line 42 to Riverside"
text "$cond" 24 white North 0 146 "every 15 minutes"
convert -size 520x200 xc:'#0d47a1' "${draw[@]}" "$tmp/bus.png"
png "$tmp/bus.png" bus-stop.png
truth bus-stop.png clean "BUS STOP" "Line 42 to Riverside" "every 15 minutes"

# The same sign photographed on a brick-coloured wall, turned 4 degrees,
# soft and noisy.
convert -size 640x340 xc:'#9c5b45' -seed 101 -attenuate 0.5 +noise Gaussian -blur 0x1.5 \
  "$tmp/wall.png"
convert "$tmp/bus.png" -background none -rotate 4 "$tmp/bus-rot.png"
convert "$tmp/wall.png" "$tmp/bus-rot.png" -gravity center -composite -blur 0x0.9 \
  -seed 102 -attenuate 0.45 +noise Gaussian "$tmp/bus-photo.png"
jpg "$tmp/bus-photo.png" bus-stop-photo.jpg 78
truth bus-stop-photo.jpg degraded "BUS STOP" "Line 42 to Riverside" "every 15 minutes"

# --- 2. allergy notice on pale yellow, serif, turned -3.5 degrees ---------------
notice=("Allergy information"
        "This dish contains peanuts, milk"
        "and wheat. Please ask our staff"
        "about other ingredients.")
draw=()
text "$serif_bold" 24 '#4e342e' NorthWest 28 22 "${notice[0]}"
for i in 1 2 3; do text "$serif" 18 black NorthWest 28 $((52 + 34 * i)) "${notice[$i]}"; done
convert -size 460x230 xc:'#fff59d' "${draw[@]}" "$tmp/notice.png"
png "$tmp/notice.png" allergy-notice.png
truth allergy-notice.png clean "${notice[@]}"
convert "$tmp/notice.png" -background '#fff59d' -rotate -3.5 -blur 0x0.6 -seed 111 \
  -attenuate 0.5 +noise Gaussian "$tmp/notice-rot.png"
jpg "$tmp/notice-rot.png" allergy-notice-rotated.jpg 80
truth allergy-notice-rotated.jpg degraded "${notice[@]}"

# --- 3. a shop receipt: items left, prices right (two columns of one table) ----
items=("Oat milk|1.85" "Rye bread|2.60" "Carrots 1kg|0.99" "Olive oil|6.45"
       "Dark chocolate|2.10" "Apples|3.20")
draw=()
text "$mono" 20 black North 0 16 "FRESH MARKET"
text "$mono" 13 black North 0 44 "12 Harbour Road"
rec=("FRESH MARKET" "12 Harbour Road")
i=0
for it in "${items[@]}"; do
  y=$((82 + 26 * i))
  text "$mono" 15 black NorthWest 20 $y "${it%%|*}"
  text "$mono" 15 black NorthEast 20 $y "${it##*|}"
  rec+=("${it%%|*} ${it##*|}")
  i=$((i + 1))
done
text "$mono" 16 black NorthWest 20 250 "SUM EUR"
text "$mono" 16 black NorthEast 20 250 "17.19"
rec+=("SUM EUR 17.19")
convert -size 320x290 xc:white "${draw[@]}" -fill none -stroke black -draw 'line 20,240 300,240' \
  "$tmp/receipt.png"
png "$tmp/receipt.png" market-receipt.png
truth market-receipt.png clean "${rec[@]}"
# Thermal print: grey on cream, turned 3 degrees, blurred, grainy.
convert "$tmp/receipt.png" +level-colors '#555555,#f3ead8' -background '#f3ead8' -rotate 3 \
  -blur 0x0.7 -seed 121 -attenuate 0.6 +noise Gaussian "$tmp/receipt-photo.png"
jpg "$tmp/receipt-photo.png" market-receipt-photo.jpg 80
truth market-receipt-photo.jpg degraded "${rec[@]}"

# --- 4. a page in two columns: read the left column, then the right ------------
left=("The library opens at nine" "in the morning and closes" "at six in the evening. All"
      "books are due back after" "three weeks.")
right=("Large print books and audio" "books are on the ground" "floor, near the entrance,"
       "next to the reading room.")
draw=()
text "$sans" 24 black North 0 16 "Library News"
for i in 0 1 2 3 4; do text "$sans" 15 black NorthWest 24 $((70 + 26 * i)) "${left[$i]}"; done
for i in 0 1 2 3; do text "$sans" 15 black NorthWest 262 $((70 + 26 * i)) "${right[$i]}"; done
page=("Library News" "${left[@]}" "${right[@]}")
convert -size 500x220 xc:white "${draw[@]}" "$tmp/page.png"
png "$tmp/page.png" two-column-page.png
truth two-column-page.png clean "${page[@]}"

# --- 5. opening hours on a shop door: light grey glass, uneven light -----------
hours=("OPENING HOURS" "Monday to Friday 8:00 - 19:30" "Saturday 9:00 - 14:00" "Sunday closed")
draw=()
text "$cond_bold" 30 '#263238' North 0 20 "${hours[0]}"
for i in 1 2 3; do text "$cond" 20 '#263238' NorthWest 30 $((50 + 36 * i)) "${hours[$i]}"; done
convert -size 440x210 xc:'#cfd8dc' "${draw[@]}" "$tmp/hours.png"
convert "$tmp/hours.png" \( -size 210x440 gradient:'#ffffff-#777777' -rotate -90 \) \
  -compose multiply -composite -blur 0x0.8 -seed 131 -attenuate 0.4 +noise Gaussian \
  "$tmp/hours-photo.png"
jpg "$tmp/hours-photo.png" opening-hours-photo.jpg 80
truth opening-hours-photo.jpg degraded "${hours[@]}"

# --- 6. a tablet box: small oblique and regular print on light green ----------
box=("IBUPROFEN 200 mg" "Take with food or milk." "Do not exceed 6 tablets in 24 hours."
     "Store below 25 C.")
draw=()
text "$cond_bold" 20 '#1b5e20' NorthWest 14 12 "${box[0]}"
text "$oblique" 13 black NorthWest 14 46 "${box[1]}"
text "$sans" 12 black NorthWest 14 70 "${box[2]}"
text "$sans" 12 black NorthWest 14 92 "${box[3]}"
convert -size 330x122 xc:'#e8f5e9' "${draw[@]}" "$tmp/box.png"
png "$tmp/box.png" tablet-box.png
truth tablet-box.png clean "${box[@]}"
convert "$tmp/box.png" -blur 0x0.8 -seed 141 -attenuate 0.6 +noise Gaussian "$tmp/box-soft.png"
jpg "$tmp/box-soft.png" tablet-box-blurred.jpg 85
truth tablet-box-blurred.jpg degraded "${box[@]}"

# --- 7. a warning sign: black on yellow, seen at an angle ----------------------
draw=()
text "$cond_bold" 48 black North 0 22 "CAUTION"
text "$sans" 26 black North 0 94 "Wet floor"
convert -size 380x160 xc:'#fdd835' "${draw[@]}" "$tmp/warn.png"
png "$tmp/warn.png" caution-sign.png
truth caution-sign.png clean "CAUTION" "Wet floor"
convert "$tmp/warn.png" -virtual-pixel background -background '#6d6d6d' \
  -distort Perspective '0,0 14,8  379,0 366,0  379,159 372,159  0,159 6,150' \
  -blur 0x1 -seed 151 -attenuate 0.5 +noise Gaussian "$tmp/warn-photo.png"
jpg "$tmp/warn-photo.png" caution-sign-photo.jpg 75
truth caution-sign-photo.jpg degraded "CAUTION" "Wet floor"

# --- 9. a hardware receipt in condensed serif, turned -5 degrees ---------------
hw=("Hammer|14.99" "Nails 100 pcs|3.25" "Wood glue|5.80" "Sandpaper|2.15")
draw=()
hw_text=()
i=0
for it in "${hw[@]}"; do
  text "$serif_cond" 15 black NorthWest 16 $((20 + 26 * i)) "${it%%|*}"
  text "$serif_cond" 15 black NorthEast 16 $((20 + 26 * i)) "${it##*|}"
  hw_text+=("${it%%|*} ${it##*|}")
  i=$((i + 1))
done
text "$serif_cond" 15 black NorthWest 16 140 "TOTAL"
text "$serif_cond" 15 black NorthEast 16 140 "26.19"
hw_text+=("TOTAL 26.19")
convert -size 300x230 xc:'#fafafa' "${draw[@]}" -background '#fafafa' -rotate -5 -blur 0x0.6 \
  -seed 171 -attenuate 0.5 +noise Gaussian "$tmp/hw.png"
jpg "$tmp/hw.png" hardware-receipt-rotated.jpg 82
truth hardware-receipt-rotated.jpg degraded "${hw_text[@]}"

# --- 10. a dessert menu on pink card, turned 4.5 degrees ----------------------
sweets=("Lemon tart|6.50" "Ice cream|4.00" "Cheesecake|7.25" "Fruit salad|5.75")
draw=()
text "$d/DejaVuSans-Bold.ttf" 26 '#880e4f' North 0 14 "Desserts"
menu=("Desserts")
i=0
for it in "${sweets[@]}"; do
  text "$sans" 18 black NorthWest 24 $((70 + 40 * i)) "${it%%|*}"
  text "$sans" 18 black NorthEast 24 $((70 + 40 * i)) "${it##*|}"
  menu+=("${it%%|*} ${it##*|}")
  i=$((i + 1))
done
convert -size 420x260 xc:'#f8bbd0' "${draw[@]}" -background '#f8bbd0' -rotate 4.5 -seed 181 \
  -attenuate 0.4 +noise Gaussian "$tmp/sweets.png"
jpg "$tmp/sweets.png" dessert-menu-rotated.jpg 82
truth dessert-menu-rotated.jpg degraded "${menu[@]}"

# --- 11. a short notice in two columns of small serif print -------------------
# (four lines a column: too few for Tesseract to find the gutter itself)
tl=("Trains to the coast run" "every hour from platform" "two. Tickets can be bought"
    "on board or at the desk.")
tr=("Bicycles travel free outside" "the busy hours, but please" "book a space before you"
    "start your journey.")
draw=()
for i in 0 1 2 3; do
  text "$serif" 13 black NorthWest 16 $((16 + 22 * i)) "${tl[$i]}"
  text "$serif" 13 black NorthWest 270 $((16 + 22 * i)) "${tr[$i]}"
done
convert -size 520x120 xc:'#fffde7' "${draw[@]}" "$tmp/trains.png"
png "$tmp/trains.png" train-notice-columns.png
truth train-notice-columns.png clean "${tl[@]}" "${tr[@]}"

# --- 12. a camera frame: a small no-entry sign on a large noisy wall ----------
draw=()
text "$d/DejaVuSans-Bold.ttf" 30 white North 0 12 "NO ENTRY"
text "$sans" 16 white North 0 62 "Staff only beyond this point"
convert -size 300x110 xc:'#c62828' "${draw[@]}" "$tmp/noentry.png"
convert -size 960x720 xc:'#7d8471' -seed 191 -attenuate 0.7 +noise Gaussian -blur 0x3 \
  "$tmp/noentry.png" -geometry +380+300 -composite -blur 0x0.7 -seed 192 -attenuate 0.25 \
  +noise Gaussian "$tmp/frame.png"
jpg "$tmp/frame.png" no-entry-camera-frame.jpg 70
truth no-entry-camera-frame.jpg degraded "NO ENTRY" "Staff only beyond this point"

# --- 13. a notice of several blocks: title, sentences, a price list ------------
pool=("Swimming Pool" "The pool is open every day from 7 am."
      "Children under 8 must be with an adult.")
fees=("Adult ticket|5.50" "Child ticket|3.00" "Family ticket|14.00" "Towel hire|1.50")
draw=()
text "$d/DejaVuSans-Bold.ttf" 26 '#0d47a1' North 0 14 "${pool[0]}"
text "$sans" 15 black NorthWest 20 62 "${pool[1]}"
text "$sans" 15 black NorthWest 20 86 "${pool[2]}"
i=0
for it in "${fees[@]}"; do
  text "$sans" 15 black NorthWest 20 $((140 + 30 * i)) "${it%%|*}"
  text "$sans" 15 black NorthEast 20 $((140 + 30 * i)) "${it##*|}"
  pool+=("${it%%|*} ${it##*|}")
  i=$((i + 1))
done
convert -size 460x290 xc:'#e3f2fd' "${draw[@]}" -background '#e3f2fd' -rotate -3 -seed 201 \
  -attenuate 0.3 +noise Gaussian "$tmp/pool.png"
jpg "$tmp/pool.png" pool-notice-rotated.jpg 80
truth pool-notice-rotated.jpg degraded "${pool[@]}"

# --- 14. a photo without text: a fence in front of the sky -------------------
posts=()
for x in 20 60 100 140 180 220 260; do posts+=(-draw "rectangle $x,100 $((x + 10)),240"); done
convert -size 320x240 gradient:'#90caf9-#fff59d' -fill '#6d4c41' "${posts[@]}" \
  -draw 'rectangle 0,130 320,138' -blur 0x1 -seed 211 -attenuate 0.3 +noise Gaussian \
  "$tmp/fence.png"
jpg "$tmp/fence.png" fence-photo.jpg 80
truth fence-photo.jpg notext

# --- 15. a car park sign on a stone wall, turned 3 degrees (its edge tends to
# be read as letters) -----------------------------------------------------------
draw=()
text "$cond_bold" 40 white North 0 16 "CAR PARK"
text "$cond" 22 white North 0 80 "Pay at the machine"
convert -size 400x140 xc:'#2e7d32' "${draw[@]}" -background none -rotate 3 "$tmp/car.png"
convert -size 560x300 xc:'#b0a89a' -seed 221 -attenuate 0.5 +noise Gaussian -blur 0x2 \
  "$tmp/car.png" -gravity center -composite -blur 0x0.8 -seed 222 -attenuate 0.4 \
  +noise Gaussian "$tmp/car-photo.png"
jpg "$tmp/car-photo.png" car-park-sign-photo.jpg 80
truth car-park-sign-photo.jpg degraded "CAR PARK" "Pay at the machine"

# --- 16. a notice photographed in a dim corridor (underexposed, grainy) -------
draw=()
text "$sans" 19 '#202020' NorthWest 20 20 "Lift out of order."
text "$sans" 19 '#202020' NorthWest 20 56 "Please use the stairs"
text "$sans" 19 '#202020' NorthWest 20 92 "on the left. Sorry!"
convert -size 420x160 xc:'#f5f5f5' "${draw[@]}" -level 0%,100%,0.6 -evaluate multiply 0.45 \
  -seed 231 -attenuate 0.8 +noise Gaussian "$tmp/dim.png"
jpg "$tmp/dim.png" lift-notice-dim.jpg 80
truth lift-notice-dim.jpg degraded "Lift out of order." "Please use the stairs" "on the left. Sorry!"

# --- 8. a photo without text: sky, hills and a house --------------------------
convert -size 360x240 gradient:'#87ceeb-#e0f2f1' \
  -fill '#558b2f' -draw 'ellipse 120,260 200,90 0,360' \
  -fill '#33691e' -draw 'ellipse 300,270 150,100 0,360' \
  -fill '#bf360c' -draw 'polygon 230,120 270,90 310,120' \
  -fill '#efebe9' -draw 'rectangle 238,120 302,170' \
  -blur 0x1.5 -seed 161 -attenuate 0.3 +noise Gaussian "$tmp/hills.png"
jpg "$tmp/hills.png" hills-photo.jpg 80
truth hills-photo.jpg notext

{
  echo "# picture class (clean: CER <= 5%, degraded: CER <= 15%, notext: no text read)"
  printf '%s\n' "${manifest[@]}"
} > "$out/MANIFEST"
echo "make-ocr-heldout: wrote ${#manifest[@]} pictures to tests/vision/$out" >&2
