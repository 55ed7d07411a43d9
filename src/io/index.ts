export { MAX_FILE_BYTES, type ModelSnapshot, readModelFile, snapshotToBytes, writeFileAtomic, writeModelFile } from './save';
export { FORMAT_VERSION, MAGIC, decodeModelFile, encodeModelFile, type GraphTopology, type TensorRef } from './format';
export { crc32 } from './crc32';
