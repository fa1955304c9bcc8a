import { encode } from "uqr";

// The quiet zone the QR standard asks for (ISO/IEC 18004: 4 modules); scanners miss codes drawn without it.
const quietZoneModules = 4;

/**
 * A QR code drawn as one SVG path, built on the page: the text (an otpauth:// URI holds a secret) never goes to a
 * third-party QR service. Sized and coloured by classes, not inline styles (the production CSP).
 */
export function QrCode({ text, label }: { text: string; label: string }) {
  // Medium error correction: survives a glare spot or a cracked phone screen without growing the code much.
  const { data, size } = encode(text, { ecc: "M", border: 0 });
  const total = size + quietZoneModules * 2;
  const path = data
    .flatMap((row, y) => row.map((dark, x) => (dark ? `M${x + quietZoneModules} ${y + quietZoneModules}h1v1h-1z` : "")))
    .join("");
  return (
    <svg
      className="qr-code"
      viewBox={`0 0 ${total} ${total}`}
      role="img"
      aria-label={label}
      shapeRendering="crispEdges"
      xmlns="http://www.w3.org/2000/svg"
    >
      <rect width={total} height={total} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  );
}
