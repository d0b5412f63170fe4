// The Onsite library module: generated uniffi bindings + the thin Kotlin API
// (src/main/kotlin) + the Rust core as .so files per ABI (src/main/jniLibs).
// Run ../../scripts/android-libs.sh (cargo-ndk) and ../../scripts/bindings.sh
// before building; see ../README.md.
plugins {
    id("com.android.library")
    id("org.jetbrains.kotlin.android")
}

android {
    namespace = "app.onsite"
    compileSdk = 35
    // Keep in step with scripts/android-libs.sh (cargo ndk --platform).
    ndkVersion = "27.2.12479018"

    defaultConfig {
        minSdk = 24
        consumerProguardFiles("consumer-rules.pro")
    }

    sourceSets {
        getByName("main") {
            // Written by scripts/bindings.sh; not committed.
            java.srcDir("src/generated/kotlin")
            // Android-only code (the Keystore key that wraps the store key),
            // kept out of the JVM suite's sources.
            java.srcDir("src/android/kotlin")
            jniLibs.srcDir("src/main/jniLibs")
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    // The JVM suite (src/test) runs with the host library through
    // scripts/kotlin-test.sh, not as an Android unit test.
    testOptions.unitTests.all { it.enabled = false }
}

kotlin {
    compilerOptions {
        jvmTarget.set(org.jetbrains.kotlin.gradle.dsl.JvmTarget.JVM_17)
    }
}

dependencies {
    // uniffi's Kotlin calls into the .so through JNA; the @aar variant carries
    // JNA's own native dispatcher for every Android ABI.
    implementation("net.java.dev.jna:jna:5.15.0@aar")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-core:1.9.0")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.9.0")
    // Background sync (src/android/kotlin/app/onsite/OnsiteSync.kt): CoroutineWorker,
    // expedited work and ExistingPeriodicWorkPolicy.UPDATE need 2.8+.
    implementation("androidx.work:work-runtime-ktx:2.9.1")
}
