import { useMemo } from 'react';
import { encode } from 'uqr';

/**
 * A QR code drawn as SVG paths by React (no innerHTML, no image URL), so the strict CSP
 * needs nothing extra. Used for TOTP enrolment (otpauth:// URIs).
 */
export function QrCode({ value, label, size = 180 }: { value: string; label: string; size?: number }) {
  const { d, n } = useMemo(() => {
    const qr = encode(value, { ecc: 'M', border: 2 });
    let path = '';
    qr.data.forEach((row, y) => row.forEach((on, x) => on && (path += `M${x} ${y}h1v1h-1z`)));
    return { d: path, n: qr.size };
  }, [value]);
  return (
    <svg className="qr" role="img" aria-label={label} width={size} height={size} viewBox={`0 0 ${n} ${n}`} shapeRendering="crispEdges">
      <rect width={n} height={n} fill="#fff" />
      <path d={d} fill="#000" />
    </svg>
  );
}
