/** A `data:` URL's declared media type and its base64 payload. */
export interface DataUrl {
  mediaType: string;
  data: string;
}

// Only base64 data URLs: both providers take the payload as base64 text, so nothing is decoded here.
const BASE64_DATA_URL = /^data:([^;,]+);base64,(.*)$/s;

/** The parts of a base64 `data:` URL, or nothing for any other URL. */
export function parseDataUrl(url: string): DataUrl | undefined {
  const match = BASE64_DATA_URL.exec(url);
  return match ? { mediaType: match[1], data: match[2] } : undefined;
}
